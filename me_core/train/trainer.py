"""The trainer: the paper's protocol on CPU or GPU, with checkpoints and resume.

Models stay plain ``nn.Module``s; the trainer owns the optimiser, the device and the loop:
BCE on logits plus the model's ``regularization_loss()`` (the two recorded apart per epoch),
Adam (lr 1e-3, wd 1e-6), early stopping on validation AUC (patience 3), the best epoch
restored for the test evaluation (AUC and logloss via scikit-learn), optionally under bfloat16
autocast (``precision``).

Resume: at every epoch end the full state (model, optimiser, RNG, history, early-stopping
counters) is written atomically to ``run_dir/last.pt`` and, on improvement, the model to
``best.pt``. The batch order of epoch e depends only on (seed, e), so a run killed at any point
and restarted with the same config continues from its last finished epoch and ends with the
same metrics as an uninterrupted run (on CPU, bit for bit).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from sklearn.metrics import log_loss, roc_auc_score
from torch import nn
from tqdm.auto import tqdm

from me_core.data import BatchLoader, DataError, EncodedDataset
from me_core.files import atomic_write_text
from me_core.metrics import information_abundance
from me_core.optim import paper_optimizer
from me_core.runtime import configure_threads
from me_core.train.checkpoint import (
    CheckpointError,
    RunWarning,
    finished_run,
    load_checkpoint,
    restore,
    resume_state,
    save_checkpoint,
    save_progress,
    set_aside,
    warn_run,
)
from me_core.train.config import ConfigError, RunConfig
from me_core.train.device import resolve_device
from me_core.train.precision import autocast
from me_core.train.records import ensure_recorded, read_records, run_record

__all__ = ["train", "evaluate", "TrainingError", "RunResult", "RunWarning",
           "load_run_model", "check_outputs"]


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. a non-finite loss); the message names epoch and step."""


@dataclass
class RunResult:
    """What :func:`train` did. ``model`` (the best epoch's weights) is loaded from the run
    folder on first access when the run had finished before (``reused``)."""

    record: dict[str, Any]
    _model: nn.Module | None = field(default=None, repr=False)
    resumed_from_epoch: int | None = None
    reused: bool = False  # the run had finished before: its record was returned as is
    appended: bool = False  # the record was appended to the records file by this call
    notes: list[str] = field(default_factory=list)  # what went differently, in words
    _load: Callable[[], nn.Module] | None = field(default=None, repr=False)

    @property
    def model(self) -> nn.Module:
        if self._model is None and self._load is not None:
            self._model = self._load()
        return self._model


def _model_with_weights(config: RunConfig, weights: dict[str, Any], where: Path | str,
                        data: EncodedDataset | None = None, cache_dir=None) -> nn.Module:
    """``config``'s model with ``weights`` (CPU, eval mode, fields named for diagnose)."""
    fmap = (data or config.open_data(cache_dir=cache_dir)).feature_map
    model = config.build_model(fmap.field_dims)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise CheckpointError(f"{where}: does not fit {config.label()} "
                              f"({str(exc).splitlines()[0][:160]})") from None
    model.field_names = list(fmap.field_names)
    return model.eval()


def load_run_model(config: RunConfig, run_dir: Path | str, data: EncodedDataset | None = None,
                   cache_dir=None) -> nn.Module:
    """The model of a finished run with the weights of its best epoch (CPU, eval mode)."""
    path = Path(run_dir) / "best.pt"
    state = load_checkpoint(path) or {}
    if "model" not in state:
        raise FileNotFoundError(f"{run_dir}: no best.pt checkpoint for {config.label()}")
    return _model_with_weights(config, state["model"], path, data, cache_dir)


def model_of_state(state: dict[str, Any], path: Path | str = "last.pt") -> nn.Module:
    """The model of an unfinished run from its ``last.pt`` state (weights of the last finished
    epoch; the checkpoint names its config since this version)."""
    if "config" not in state:
        raise CheckpointError(f"{path}: an unfinished me_core run written before checkpoints "
                              f"named their config; finish it with its train command")
    return _model_with_weights(RunConfig.from_dict(state["config"]), state["model"], path)


def check_outputs(run_dir: Path | None, records: Path | None) -> None:
    """Refuse output paths that could only fail after training (a folder where a file must go,
    a file where a folder must go), naming the parameter."""
    def folder_possible(name: str, *candidates: Path) -> None:
        existing = next((p for p in candidates if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ConfigError(f"{name}: {existing} is a file, not a folder")

    if run_dir is not None:
        folder_possible("run_dir", run_dir, *run_dir.parents)
    if records is not None:
        if records.is_dir():
            raise ConfigError(f"records: {records} is a folder; give a .jsonl file name")
        folder_possible("records", *records.parents)
        if records.exists() and not os.access(records, os.W_OK):
            raise ConfigError(f"records: {records} is not writable")
        if records.is_file():  # a damaged file fails now, not after the training
            try:
                read_records(records)
            except ValueError as exc:
                raise ConfigError(f"records: {exc}") from None


def check_classes(data: EncodedDataset, splits: dict[str, np.ndarray]) -> None:
    """Every split must hold rows of both classes, or AUC and early stopping mean nothing."""
    for name, rows in splits.items():
        labels = np.asarray(data.y[np.sort(np.asarray(rows))]) if len(rows) else np.empty(0)
        classes = np.unique(labels)
        if len(classes) < 2:
            what = "no rows" if len(rows) == 0 else f"only label {classes[0]:g}"
            raise DataError(f"{data.feature_map.dataset} ({data.feature_map.rows} rows): the "
                            f"{name} split has {what}; training needs both classes in every "
                            f"split (more rows, or a label with two values)")


@torch.no_grad()
def evaluate(model: nn.Module, loader: BatchLoader, precision: str = "fp32"
             ) -> dict[str, float]:
    """AUC and logloss of ``model`` on every row of ``loader`` (scikit-learn metrics in float64;
    ``precision`` ``bf16`` runs the forward pass under bfloat16 autocast, as in training)."""
    model.eval()
    scores, labels = [], []
    for x, y in loader.epoch(0):
        with autocast(loader.device, precision):
            logits = model(x)
        scores.append(torch.sigmoid(logits.float()).cpu())
        labels.append(y.cpu())
    p = torch.cat(scores).double().numpy()
    y = torch.cat(labels).numpy()
    if len(np.unique(y)) < 2:
        return {"auc": float("nan"), "logloss": float("nan")}
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return {"auc": float(roc_auc_score(y, p)), "logloss": float(log_loss(y, p))}


def field_information_abundance(model: nn.Module) -> dict[str, list]:
    """IA of every field's final table (sets concatenated, Fig. 8b) and, for ME, of each set."""
    per_field, per_set = [], []
    for index in range(model.num_fields):
        tables = [t.float().cpu() for t in model.field_embeddings(index)]
        per_field.append(information_abundance(tables))
        if len(tables) > 1:
            per_set.append([information_abundance(t) for t in tables])
    out: dict[str, list] = {"per_field": per_field}
    if per_set:
        out["per_field_per_set"] = per_set
    return out


def _model_diagnostics(model: nn.Module, loader: BatchLoader, rows: int = 4096
                       ) -> dict[str, Any]:
    """Model-specific numbers worth keeping with the record: for AutoInt, the entropy of each
    attention layer on the first ``rows`` test rows beside log N (Table 7)."""
    if not hasattr(model, "attention_entropy"):
        return {}
    x, _ = next(iter(loader.epoch(0)))
    try:
        entropy = model.attention_entropy(x[:rows])
    except ValueError:  # a form without attention maps
        return {}
    return {"attention_entropy": {"per_layer": entropy, "uniform": model.uniform_entropy}}


def train(config: RunConfig, *, run_dir: Path | str | None = None,
          records: Path | str | None = None, data: EncodedDataset | None = None,
          progress: bool = False, threads: int | None = None,
          cache_dir: Path | str | None = None) -> RunResult:
    """Train ``config`` to early stopping; evaluate the best epoch on the test split.

    ``run_dir``: checkpoints and the final ``record.json`` (resume and reuse need it).
    ``records``: a JSON-lines file the run record is appended to.
    """
    try:
        device = resolve_device(config.device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    threads_before = torch.get_num_threads()
    if device.type == "cpu":
        configure_threads(threads)
    try:
        return _train(config, device, run_dir, records, data, progress, cache_dir)
    finally:  # the caller's session keeps its own thread count
        torch.set_num_threads(threads_before)


def _train(config: RunConfig, device: torch.device, run_dir, records, data, progress,
           cache_dir) -> RunResult:
    """One run, in steps: reuse a finished run; open the data; build or restore the model;
    train epoch by epoch until early stopping; evaluate the best epoch; record it."""
    run_dir = Path(run_dir) if run_dir is not None else None
    records = Path(records) if records is not None else None
    check_outputs(run_dir, records)
    notes: list[str] = []
    finished, best_weights = finished_run(run_dir, config, notes)
    if finished is not None:
        appended = ensure_recorded(records, finished)
        if appended:
            warn_run(notes, f"{config.label()}: the finished run's record was missing from "
                            f"{records}; appended it now")
        return RunResult(finished, reused=True, appended=appended, notes=notes,
                         _load=lambda: _model_with_weights(config, best_weights,
                                                           run_dir / "best.pt", data, cache_dir))
    data = data or config.open_data(cache_dir=cache_dir, progress=progress)
    loaders = _loaders(config, data, device)
    model, optimizer, progress_state = _model_to_train(config, data, device, run_dir, notes)
    started = time.perf_counter()
    fitted = _fit(config, model, optimizer, loaders, device, run_dir, progress, progress_state)
    if fitted.best_state is not None:
        model.load_state_dict(fitted.best_state)
    test = evaluate(model, loaders["test"], config.precision)
    record = run_record(
        config, history=fitted.history, best_epoch=fitted.best_epoch, best_auc=fitted.best_auc,
        test=test, stopped="early stopping" if fitted.bad_epochs >= config.patience
        else "max_epochs", model_facts={
            "information_abundance": field_information_abundance(model),
            "parameters": model.parameter_counts(),
            **_model_diagnostics(model, loaders["test"])},
        data=data, train_rows=loaders["train"].rows,
        session_seconds=time.perf_counter() - started,
        resumed_from=progress_state.resumed_from, precision=config.precision, device=device)
    if run_dir is not None:
        atomic_write_text(run_dir / "record.json", json.dumps(record, default=str))
    appended = ensure_recorded(records, record)
    return RunResult(record, model, resumed_from_epoch=progress_state.resumed_from,
                     appended=appended, notes=notes)


def _loaders(config: RunConfig, data: EncodedDataset, device: torch.device
             ) -> dict[str, BatchLoader]:
    """Train (``fraction`` of it, shuffled by the run's seed), valid and test batches of the
    split ``split_seed``; a split with a single class is refused first."""
    train_rows = data.split("train", seed=config.split_seed, fraction=config.fraction)
    splits = {"train": train_rows, "valid": data.split("valid", seed=config.split_seed),
              "test": data.split("test", seed=config.split_seed)}
    check_classes(data, splits)
    return {
        "train": BatchLoader(data, train_rows, config.batch_size, shuffle=config.shuffle,
                             seed=config.seed, device=device),
        "valid": BatchLoader(data, splits["valid"], config.eval_batch_size, device=device),
        "test": BatchLoader(data, splits["test"], config.eval_batch_size, device=device),
    }


@dataclass
class _Progress:
    """Where training stands: the history so far and the early-stopping counters."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_auc: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    next_epoch: int = 0
    best_state: dict[str, Any] | None = None
    resumed_from: int | None = None


def _fresh_model(config: RunConfig, data: EncodedDataset, device: torch.device):
    torch.manual_seed(config.seed)
    model = config.build_model(data.feature_map.field_dims).to(device)
    return model, paper_optimizer(model, lr=config.lr, weight_decay=config.weight_decay)


def _model_to_train(config: RunConfig, data: EncodedDataset, device: torch.device,
                    run_dir: Path | None, notes: list[str]):
    """(model, optimiser, progress): a fresh model, or the one of an unfinished run in
    ``run_dir`` restored with its optimiser, RNG and counters; a damaged ``last.pt`` is set
    aside and training starts again from a fresh model, said aloud."""
    model, optimizer = _fresh_model(config, data, device)
    state, best_saved = resume_state(run_dir, config, notes)
    if state is None:
        return model, optimizer, _Progress()
    try:
        restore(model, optimizer, state, best_saved)
    except CheckpointError as exc:
        for name in ("last.pt", "best.pt"):
            set_aside(run_dir / name)
        warn_run(notes, f"{exc}; set aside (*.damaged), training {config.label()} from scratch")
        model, optimizer = _fresh_model(config, data, device)
        return model, optimizer, _Progress()
    return model, optimizer, _Progress(
        history=state["history"], best_auc=state["best_auc"], best_epoch=state["best_epoch"],
        bad_epochs=state["bad_epochs"], next_epoch=state["epoch"] + 1, best_state=best_saved,
        resumed_from=state["epoch"] + 1)


def _fit(config: RunConfig, model: nn.Module, optimizer, loaders: dict[str, BatchLoader],
         device: torch.device, run_dir: Path | None, progress: bool, state: _Progress
         ) -> _Progress:
    """Epochs until ``max_epochs`` or ``patience`` epochs without a better validation AUC;
    after each, the history, ``best.pt`` on improvement and ``last.pt`` (resume)."""
    while state.next_epoch < config.max_epochs and state.bad_epochs < config.patience:
        epoch = state.next_epoch
        epoch_start = time.perf_counter()
        train_loss, train_penalty = _train_epoch(config, model, optimizer, loaders["train"],
                                                 device, epoch, progress)
        train_seconds = time.perf_counter() - epoch_start
        valid = evaluate(model, loaders["valid"], config.precision)
        # train_loss is the BCE alone (comparable across models, Fig. 5c); the regulariser's
        # mean value is kept beside it
        state.history.append({"epoch": epoch + 1, "train_loss": train_loss,
                              "train_regularization": train_penalty,
                              "valid_auc": valid["auc"], "valid_logloss": valid["logloss"],
                              "seconds": time.perf_counter() - epoch_start,
                              "samples_per_s": loaders["train"].rows / train_seconds})
        if valid["auc"] > state.best_auc:
            state.best_auc, state.best_epoch, state.bad_epochs = valid["auc"], epoch + 1, 0
            state.best_state = {k: v.detach().cpu().clone()
                                for k, v in model.state_dict().items()}
            if run_dir is not None:
                save_checkpoint(run_dir / "best.pt", {"model": state.best_state})
        else:
            state.bad_epochs += 1
        if run_dir is not None:
            save_progress(run_dir, config, epoch, model, optimizer, state.history,
                          state.best_auc, state.best_epoch, state.bad_epochs)
        if progress:
            tqdm.write(f"{config.label()} epoch {epoch + 1}: loss {train_loss:.4f}, valid AUC "
                       f"{valid['auc']:.4f}, {state.history[-1]['samples_per_s']:,.0f} "
                       f"samples/s")
        state.next_epoch += 1
    return state


def _train_epoch(config: RunConfig, model: nn.Module, optimizer, loader: BatchLoader,
                 device: torch.device, epoch: int, progress: bool) -> tuple[float, float]:
    """One pass over the training batches of ``epoch`` (BCE on logits plus the model's
    regulariser); (mean BCE, mean regulariser). A loss that stops being finite is an error
    naming the epoch and step (checked every step on CPU, every 100 on GPU)."""
    model.train()
    loss_fn = nn.BCEWithLogitsLoss()
    check_every = 1 if device.type == "cpu" else 100
    epoch_start = time.perf_counter()
    total = torch.zeros((), device=device)  # BCE, summed over steps
    total_penalty = torch.zeros((), device=device)  # the model's regularisation term
    steps = 0
    with tqdm(total=len(loader), desc=f"{config.label()} epoch {epoch + 1}",
              disable=not progress, leave=False) as bar:
        for step, (x, y) in enumerate(loader.epoch(epoch)):
            with autocast(device, config.precision):
                logits = model(x)
            bce = loss_fn(logits.float(), y)
            penalty = model.regularization_loss()
            loss = bce + penalty
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += bce.detach()
            total_penalty += penalty.detach()
            steps += 1
            if (step + 1) % check_every == 0 and not torch.isfinite(total + total_penalty):
                raise TrainingError(
                    f"{config.label()}: the loss became {loss.item()} at epoch {epoch + 1}, "
                    f"step {step + 1} (of {len(loader)}); lower lr or check the data")
            if progress and (step + 1) % 20 == 0:
                seconds = time.perf_counter() - epoch_start
                bar.set_postfix(loss=f"{total.item() / steps:.4f}",
                                samples_s=f"{(step + 1) * config.batch_size / seconds:,.0f}")
            bar.update(1)
    train_loss = total.item() / max(steps, 1)
    train_penalty = total_penalty.item() / max(steps, 1)
    if not math.isfinite(train_loss + train_penalty):
        raise TrainingError(f"{config.label()}: the loss became {train_loss} during epoch "
                            f"{epoch + 1}; lower lr or check the data")
    return train_loss, train_penalty
