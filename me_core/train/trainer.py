"""The trainer: the paper's protocol (SPEC 8) on CPU or GPU, with checkpoints and resume.

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import log_loss, roc_auc_score
from torch import nn
from tqdm.auto import tqdm

from me_core.data import BatchLoader, EncodedDataset, load_dataset
from me_core.metrics import information_abundance
from me_core.models import build
from me_core.optim import paper_optimizer
from me_core.report import atomic_write_text
from me_core.runtime import configure_threads
from me_core.train.checkpoint import load_checkpoint, save_checkpoint
from me_core.train.config import ConfigError, RunConfig
from me_core.train.precision import autocast, resolve_device
from me_core.train.provenance import provenance
from me_core.train.records import append_record

__all__ = ["train", "evaluate", "resolve_device", "TrainingError", "RunResult", "open_data"]


class TrainingError(RuntimeError):
    """Training cannot go on (e.g. a non-finite loss); the message names epoch and step."""


@dataclass
class RunResult:
    record: dict[str, Any]
    model: nn.Module | None
    resumed_from_epoch: int | None = None
    reused: bool = False  # the run had finished before: its record was returned as is


def open_data(config: RunConfig, cache_dir=None, progress: bool = False) -> EncodedDataset:
    """The encoded data set of ``config`` (preprocessed into the cache on first use)."""
    return load_dataset(config.dataset, config.data_path, cache_dir=cache_dir,
                        progress=progress, **config.data_options)


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


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def field_information_abundance(model: nn.Module) -> dict[str, list]:
    """IA of every field's final table (sets concatenated, Fig. 8b) and, for ME, of each set."""
    per_field, per_set = [], []
    for field in range(model.num_fields):
        tables = [t.float().cpu() for t in model.field_embeddings(field)]
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
    if device.type == "cpu":
        configure_threads(threads)
    run_dir = Path(run_dir) if run_dir is not None else None
    if run_dir is not None and (run_dir / "record.json").is_file():
        record = json.loads((run_dir / "record.json").read_text(encoding="utf-8"))
        if record.get("key") == config.key():
            return RunResult(record, None, reused=True)
    data = data or open_data(config, cache_dir=cache_dir, progress=progress)
    fmap = data.feature_map
    train_rows = data.split("train", seed=config.split_seed, fraction=config.fraction)
    loaders = {
        "train": BatchLoader(data, train_rows, config.batch_size, shuffle=config.shuffle,
                             seed=config.seed, device=device),
        "valid": BatchLoader(data, data.split("valid", seed=config.split_seed),
                             config.eval_batch_size, device=device),
        "test": BatchLoader(data, data.split("test", seed=config.split_seed),
                            config.eval_batch_size, device=device),
    }
    torch.manual_seed(config.seed)
    try:
        model = build(config.model, fmap.field_dims, scale=config.scale,
                      multi_embedding=config.multi_embedding, **config.model_options).to(device)
    except ValueError as exc:
        raise ConfigError(f"model_options: {exc}") from exc
    optimizer = paper_optimizer(model, lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    precision = config.precision  # resolved by RunConfig: fp32 or bf16

    history: list[dict[str, Any]] = []
    best_auc, best_epoch, bad_epochs, start_epoch = -math.inf, -1, 0, 0
    best_state = None
    resumed_from = None
    state = load_checkpoint(run_dir / "last.pt") if run_dir is not None else None
    if state is not None and state.get("key") == config.key():
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        _set_rng_state(state["rng"])
        history, best_auc = state["history"], state["best_auc"]
        best_epoch, bad_epochs = state["best_epoch"], state["bad_epochs"]
        start_epoch = resumed_from = state["epoch"] + 1
        best = load_checkpoint(run_dir / "best.pt")
        best_state = best["model"] if best is not None else None

    check_every = 1 if device.type == "cpu" else 100
    started = time.perf_counter()
    epoch = start_epoch
    while epoch < config.max_epochs and bad_epochs < config.patience:
        model.train()
        loader = loaders["train"]
        epoch_start = time.perf_counter()
        total = torch.zeros((), device=device)  # BCE, summed over steps
        total_penalty = torch.zeros((), device=device)  # the model's regularisation term
        steps = 0
        with tqdm(total=len(loader), desc=f"{config.label()} epoch {epoch + 1}",
                  disable=not progress, leave=False) as bar:
            for step, (x, y) in enumerate(loader.epoch(epoch)):
                with autocast(device, precision):
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
        train_seconds = time.perf_counter() - epoch_start
        valid = evaluate(model, loaders["valid"], precision)
        # train_loss is the BCE alone (comparable across models, Fig. 5c); the regulariser's
        # mean value is kept beside it
        history.append({"epoch": epoch + 1, "train_loss": train_loss,
                        "train_regularization": train_penalty,
                        "valid_auc": valid["auc"], "valid_logloss": valid["logloss"],
                        "seconds": time.perf_counter() - epoch_start,
                        "samples_per_s": loader.rows / train_seconds})
        if valid["auc"] > best_auc:
            best_auc, best_epoch, bad_epochs = valid["auc"], epoch + 1, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if run_dir is not None:
                save_checkpoint(run_dir / "best.pt", {"model": best_state})
        else:
            bad_epochs += 1
        if run_dir is not None:
            save_checkpoint(run_dir / "last.pt", {
                "key": config.key(), "epoch": epoch, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "rng": _rng_state(), "history": history,
                "best_auc": best_auc, "best_epoch": best_epoch, "bad_epochs": bad_epochs})
        if progress:
            tqdm.write(f"{config.label()} epoch {epoch + 1}: loss {train_loss:.4f}, valid AUC "
                       f"{valid['auc']:.4f}, {history[-1]['samples_per_s']:,.0f} samples/s")
        epoch += 1

    if best_state is not None:
        model.load_state_dict(best_state)
    test = evaluate(model, loaders["test"], precision)
    diagnostics = _model_diagnostics(model, loaders["test"])
    record = {
        "key": config.key(), "config": config.to_dict(), "history": history,
        "best_epoch": best_epoch, "valid": {"auc": best_auc}, "test": test,
        "stopped": "early stopping" if bad_epochs >= config.patience else "max_epochs",
        "information_abundance": field_information_abundance(model),
        "parameters": model.parameter_counts(),
        **diagnostics,
        "data": {"dataset": fmap.dataset, "rows": fmap.rows, "fields": fmap.num_fields,
                 "sum_cardinalities": int(sum(fmap.cardinalities)), "source": fmap.source,
                 "preprocessing": fmap.preprocessing, "cache": data.path.name,
                 "train_rows": int(len(train_rows)), "synthetic": bool(
                     fmap.details.get("synthetic", False))},
        "train_seconds": sum(h["seconds"] for h in history),
        "session_seconds": time.perf_counter() - started,
        "resumed_from_epoch": resumed_from,
        "precision": precision,
        "provenance": provenance(device),
    }
    if run_dir is not None:
        atomic_write_text(run_dir / "record.json", json.dumps(record, default=str))
    if records is not None:
        append_record(records, record)
    return RunResult(record, model, resumed_from_epoch=resumed_from)
