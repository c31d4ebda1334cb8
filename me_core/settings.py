"""The book's training protocols, kept in one place.

``quick`` is what the default book, the committed quick-profile run records and
``python -m me_core sweep --protocol quick`` use; ``paper`` is the paper's protocol (section 4.1
and appendix C: Adam, batch 2048, early stopping on validation AUC with patience 3, float32).
The chapters' parameters cells leave these settings at ``None``, which means "the chosen
protocol's value", so a notebook opened in Jupyter runs as is, papermill and ``book --param``
can still set any of them, and the record sweeps train exactly what the chapters train.

Why the quick protocol cuts training short: on the 240,000 training rows of the synthetic
benchmark the models peak at epoch 2 or 3 and then over-fit, so patience 1 within 10 epochs
stops them one epoch after their best (``results/README.md`` gives the measured best epochs).
Its precision is float32: bfloat16 autocast was measured (``benchmarks/bench_precision.py``)
but is not adopted, see ``results/precision/README.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROTOCOLS", "QUICK", "PAPER", "PAPER_OPTIMIZER", "protocol_settings"]

# the paper's optimiser (section 4.1): Adam, learning rate 1e-3, coupled L2 1e-6 on every
# parameter; the same in both protocols (RunConfig, paper_optimizer and the CLI read it here)
PAPER_OPTIMIZER: dict[str, float] = {"lr": 1e-3, "weight_decay": 1e-6}

QUICK: dict[str, Any] = {
    "rows": 300_000,  # synthetic benchmark rows (240,000 train / 30,000 valid / 30,000 test)
    "max_epochs": 10,
    "patience": 1,
    "batch_size": 2048,
    "precision": "fp32",
}

PAPER: dict[str, Any] = {
    "rows": 300_000,  # synthetic data only; Criteo and Avazu use every line
    "max_epochs": 100,
    "patience": 3,
    "batch_size": 2048,
    "precision": "fp32",
}

PROTOCOLS: dict[str, dict[str, Any]] = {"quick": QUICK, "paper": PAPER}


def protocol_settings(protocol: str, **given: Any) -> dict[str, Any]:
    """The settings of ``protocol`` with every ``given`` value that is not None on top."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    out = dict(PROTOCOLS[protocol])
    out.update({k: v for k, v in given.items() if v is not None})
    return out
