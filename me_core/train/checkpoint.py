"""Atomic checkpoints: written to a temporary file, then renamed; loaded with weights_only.

A checkpoint that cannot be read (truncated, empty, not a torch file) raises
:class:`CheckpointError` naming the file, never torch's own multi-line advice.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from me_core.files import atomic_target

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointError"]


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
