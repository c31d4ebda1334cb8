"""One training run, fully described: what to train, on what, with which protocol (the paper's
experimental setup).

The defaults are the paper's protocol: Adam lr 1e-3, weight decay 1e-6, batch 2048, early
stopping on validation AUC with patience 3, at most 100 epochs, the 8:1:1 split with seed 0,
float32.
``seed`` drives model initialisation, dropout and the batch order; ``split_seed`` stays 0 (the
paper's fixed split) unless set, so runs with different seeds differ only in the model's
randomness, as the paper's "3 runs with different random initialisation".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

from me_core.data import DATASETS
from me_core.known import check_known_fields, check_values
from me_core.models import MODEL_NAMES, CTRModel, build
from me_core.models.registry import MAX_SCALE
from me_core.settings import PAPER, PAPER_OPTIMIZER
from me_core.train.device import resolve_device
from me_core.train.precision import PRECISIONS, resolve_precision

__all__ = ["RunConfig", "ConfigError"]


class ConfigError(ValueError):
    """A bad run setting; the message names the parameter."""


@dataclass(frozen=True)
class RunConfig:
    model: str = "dcnv2"
    dataset: str = "synthetic"
    data_path: str | None = None
    data_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"rows": 300000}
    scale: int = 1
    multi_embedding: bool = False
    model_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    split_seed: int = 0
    fraction: float = 1.0  # share of the training split (Table 2's data fractions)
    batch_size: int = PAPER["batch_size"]
    eval_batch_size: int = 16384
    lr: float = PAPER_OPTIMIZER["lr"]
    weight_decay: float = PAPER_OPTIMIZER["weight_decay"]
    max_epochs: int = PAPER["max_epochs"]
    patience: int = PAPER["patience"]
    shuffle: bool = True  # the official loader does not shuffle; False reproduces it
    device: str = "auto"
    # fp32 (the paper's), bf16 (autocast) or auto: resolved when the config is made to what
    # this machine runs faster (me_core.train.precision), so a config states what it ran with
    precision: str = "fp32"

    def __post_init__(self) -> None:
        check_values({f.name: getattr(self, f.name) for f in fields(self)}, RunConfig,
                     "run setting(s)", ConfigError)
        problems = []
        if self.model not in MODEL_NAMES:
            problems.append(f"model: unknown model {self.model!r}; choose one of "
                            f"{', '.join(MODEL_NAMES)}")
        if self.dataset not in DATASETS:
            problems.append(f"dataset: unknown data set {self.dataset!r}; choose one of "
                            f"{', '.join(DATASETS)}")
        if self.dataset in ("criteo", "avazu", "table") and not self.data_path:
            what = "table file" if self.dataset == "table" else "Kaggle file"
            problems.append(f"data_path: data set {self.dataset!r} needs the path of its {what}")
        checks = [("scale", 1 <= self.scale <= MAX_SCALE,
                   f"must be 1 to {MAX_SCALE} (the paper's largest is 10; tables grow with it)"),
                  ("batch_size", self.batch_size >= 1, "must be >= 1"),
                  ("eval_batch_size", self.eval_batch_size >= 1, "must be >= 1"),
                  ("lr", self.lr > 0, "must be > 0"),
                  ("weight_decay", self.weight_decay >= 0, "must be >= 0"),
                  ("max_epochs", self.max_epochs >= 1, "must be >= 1"),
                  ("patience", self.patience >= 1, "must be >= 1"),
                  ("fraction", 0 < self.fraction <= 1, "must be in (0, 1]")]
        problems += [f"{name}: {getattr(self, name)!r} {why}" for name, ok, why in checks if not ok]
        reserved = sorted(set(self.model_options) & {"name", "field_dims", "scale",
                                                      "multi_embedding"})
        if reserved:
            problems.append(f"model_options: {', '.join(reserved)} are run settings, not model "
                            f"options (use --model, --scale, --me)")
        if self.device not in ("auto", "cpu", "mps") and not self.device.startswith("cuda"):
            problems.append(f"device: {self.device!r} is not auto, cpu, cuda[:i] or mps")
        if self.precision not in PRECISIONS:
            problems.append(f"precision: {self.precision!r} is not one of "
                            f"{', '.join(PRECISIONS)}")
        if problems:
            raise ConfigError("; ".join(problems))
        if self.data_path:  # one run per file, however the path is spelled
            object.__setattr__(self, "data_path",
                               str(Path(self.data_path).expanduser().resolve()))
        if self.precision == "auto":
            try:
                device = resolve_device(self.device)
            except (RuntimeError, ValueError) as exc:
                raise ConfigError(str(exc)) from exc
            object.__setattr__(self, "precision", resolve_precision("auto", device))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> "RunConfig":
        payload = dict(payload)
        if "amp" in payload:  # records written before ``precision``: amp acted on CUDA only
            amp = payload.pop("amp")
            payload.setdefault("precision", "bf16" if amp and payload.get("device", "")
                               .startswith("cuda") else "fp32")
        check_known_fields(payload, cls, "run setting(s)", ConfigError)
        return cls(**payload)

    def key(self) -> str:
        """A hash of every setting but ``device``: the identity of a run in records, checkpoints
        and sweeps (the device a run used is in its record's provenance). A bf16 run never
        shares a key with an fp32 one; fp32 keys are those of records made before the
        ``precision`` setting existed (its predecessor ``amp: false`` stands in for it)."""
        payload = {k: v for k, v in self.to_dict().items() if k not in ("device", "precision")}
        if self.precision == "fp32":
            payload["amp"] = False
        else:
            payload["precision"] = self.precision
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def build_model(self, field_dims: Sequence[int]) -> CTRModel:
        """This config's model for data with ``field_dims``, freshly initialised from torch's
        current random state (the one place a config becomes a model)."""
        try:
            return build(self.model, field_dims, scale=self.scale,
                         multi_embedding=self.multi_embedding, **self.model_options)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"model_options: {exc}") from exc

    def open_data(self, cache_dir: Path | str | None = None, progress: bool = False):
        """This config's encoded data set (:func:`me_core.data.load_dataset`; preprocessed
        into the cache on first use)."""
        from me_core.data import load_dataset

        return load_dataset(self.dataset, self.data_path, cache_dir=cache_dir,
                            progress=progress, **self.data_options)

    def label(self) -> str:
        kind = "ME" if self.multi_embedding else "SE"
        suffix = "" if self.precision == "fp32" else f"/{self.precision}"
        return f"{self.dataset}/{self.model}/{kind}x{self.scale}/seed{self.seed}{suffix}"
