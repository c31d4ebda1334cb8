"""A run folder on disk: atomic checkpoints, and what a run finds there when it starts.

Checkpoints are written to a temporary file, then renamed, and loaded with weights_only; one
that cannot be read (truncated, empty, not a torch file) raises :class:`CheckpointError`
naming the file, never torch's own multi-line advice.

A run folder holds ``last.pt`` (the full state at the last finished epoch: model, optimiser,
RNG, history, early-stopping counters), ``best.pt`` (the best epoch's model) and, once the run
is finished, ``record.json``. :func:`finished_run` and :func:`resume_state` read them back
(a damaged file is set aside as ``*.damaged`` and the run starts again, said aloud),
:func:`restore` checks every key and shape before loading, :func:`save_progress` writes the
state at an epoch's end.
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from me_core.files import atomic_target
from me_core.train.records import record_problem

if TYPE_CHECKING:
    from torch import nn

    from me_core.train.config import RunConfig

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointError", "RunWarning", "warn_run",
           "finished_run", "resume_state", "restore", "save_progress", "set_aside"]


class CheckpointError(ValueError):
    """A checkpoint file exists but is damaged or is not a me_core/torch checkpoint."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_target(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (tensors on CPU), or None if there is none.

    Raises :class:`CheckpointError` (one line, with the path) if the file is damaged."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError,
            zipfile.BadZipFile, AttributeError, KeyError, TypeError, IndexError) as exc:
        text = str(exc).strip()
        if "Weights only load failed" in text:  # torch's advice names the real cause last
            cause = text.rsplit("\n", 1)[-1].strip() if "\n" in text else ""
            text = "not a plain tensor checkpoint" + (f": {cause}" if "Unsupported" in cause
                                                      or "Unpickl" in cause else "")
            if "torch.nn" in str(exc) or "GLOBAL" in str(exc):  # a pickled module
                raise CheckpointError(
                    f"{path}: a pickled model object, not a state dict (me_core never unpickles "
                    f"code); save it with torch.save(model.state_dict(), path)") from None
        first = text.splitlines()[0] if text else f"{type(exc).__name__}: file ends early"
        raise CheckpointError(f"{path}: damaged or not a torch checkpoint "
                              f"({first[:160]})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a me_core checkpoint (holds a "
                              f"{type(state).__name__}, not a dict)")
    return state


class RunWarning(UserWarning):
    """Something about a run the user should know (a damaged checkpoint set aside, a record
    re-appended); training went on."""


def warn_run(result_notes: list[str], message: str) -> None:
    result_notes.append(message)
    warnings.warn(message, RunWarning, stacklevel=3)


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def finished_run(run_dir: Path | None, config: RunConfig, notes: list[str]):
    """(record, best.pt weights) of a finished run of ``config`` in ``run_dir``, or (None, None):
    train. A damaged record.json, or one whose best.pt is gone or damaged, means training
    again, said aloud."""
    if run_dir is None or not (run_dir / "record.json").is_file():
        return None, None
    path = run_dir / "record.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if record.get("key") == config.key() and (problem := record_problem(record)):
            raise ValueError(f"not a finished run's record: {problem}")
    except (ValueError, UnicodeDecodeError) as exc:
        set_aside(path)
        warn_run(notes, f"{path}: damaged ({exc}); set aside as {path.name}.damaged, "
                     f"training {config.label()} again")
        return None, None
    if record.get("key") != config.key():
        return None, None
    try:
        best = load_checkpoint(run_dir / "best.pt")
        if best is None or "model" not in best:
            raise CheckpointError(f"{run_dir / 'best.pt'}: missing")
    except CheckpointError as exc:
        for name in ("record.json", "best.pt", "last.pt"):
            set_aside(run_dir / name)
        warn_run(notes, f"{exc}; the run's files were set aside (*.damaged), training "
                     f"{config.label()} again from scratch")
        return None, None
    return record, best["model"]


def resume_state(run_dir: Path | None, config: RunConfig, notes: list[str]):
    """(last.pt state, best.pt weights) of an unfinished run of ``config``, or (None, None).
    A damaged checkpoint is set aside and the run starts from scratch, saying so."""
    if run_dir is None:
        return None, None
    try:
        state = load_checkpoint(run_dir / "last.pt")
        if state is None or state.get("key") != config.key():
            return None, None
        best = load_checkpoint(run_dir / "best.pt")
        if best is None and state.get("best_epoch", -1) >= 1:
            raise CheckpointError(f"{run_dir / 'best.pt'}: missing while last.pt says epoch "
                                  f"{state['best_epoch']} was the best")
        return state, (best["model"] if best is not None else None)
    except (CheckpointError, KeyError) as exc:
        for name in ("last.pt", "best.pt"):
            set_aside(run_dir / name)
        warn_run(notes, f"{exc}; set aside (*.damaged), training {config.label()} from scratch")
        return None, None


_RESUME_KEYS = {"model": dict, "optimizer": dict, "rng": dict, "history": list,
                "best_auc": (int, float), "best_epoch": int, "bad_epochs": int, "epoch": int}


def restore(model: nn.Module, optimizer, state: dict[str, Any],
             best: dict[str, Any] | None) -> None:
    """Load a ``last.pt`` state into ``model`` and ``optimizer`` (and the RNGs), checking every
    key, type and tensor shape first; raises :class:`CheckpointError` naming what is wrong."""
    where = "last.pt"
    for key, kind in _RESUME_KEYS.items():
        if not isinstance(state.get(key), kind):
            kind_name = getattr(kind, "__name__", "number")
            raise CheckpointError(f"{where}: {key!r} is missing or not a {kind_name}")
    for name, weights in (("last.pt", state["model"]), ("best.pt", best)):
        if weights is None:
            continue
        expected = model.state_dict()
        wrong = sorted(set(expected) ^ set(weights))
        if wrong:
            raise CheckpointError(f"{name}: does not fit the model (keys {wrong[:3]})")
        for key, tensor in expected.items():
            if not isinstance(weights[key], torch.Tensor) or weights[key].shape != tensor.shape:
                raise CheckpointError(f"{name}: {key} has shape "
                                      f"{tuple(getattr(weights[key], 'shape', ()))}, the model "
                                      f"needs {tuple(tensor.shape)}")
    if len(state["history"]) != state["epoch"] + 1:
        raise CheckpointError(f"{where}: {len(state['history'])} epochs of history for epoch "
                              f"{state['epoch'] + 1}")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
        cause = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{where}: cannot be restored ({cause})") from None


def save_progress(run_dir: Path, config: RunConfig, epoch: int, model: nn.Module, optimizer,
                  history: list[dict[str, Any]], best_auc: float, best_epoch: int,
                  bad_epochs: int) -> None:
    """Write ``last.pt``: everything :func:`restore` needs to continue after ``epoch``."""
    save_checkpoint(Path(run_dir) / "last.pt", {
        "key": config.key(), "config": config.to_dict(), "epoch": epoch,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng_state(),
        "history": history, "best_auc": best_auc, "best_epoch": best_epoch,
        "bad_epochs": bad_epochs})


def set_aside(path: Path) -> None:
    if path.exists():
        os.replace(path, path.with_name(path.name + ".damaged"))
