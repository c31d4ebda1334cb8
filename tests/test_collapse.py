"""Figure 8b's finding on run records: ME raises IA, most for high-cardinality fields, judged
where it is present, absent, reversed, and present without the cardinality trend. (The
collapse findings against each seed's random table are in test_weight_findings.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.companion.chapters import embedding_collapse as C

DIMS = [5, 50, 80, 200, 400]
SEEDS = (0, 1, 2, 3, 4)


def _runs(me_gain: np.ndarray, noise: float = 0.1) -> pd.DataFrame:
    """SE field IA plus a per-seed jitter; ME adds ``me_gain`` per field."""
    base = np.array([5.0, 20, 25, 30, 31])
    jitter = {s: noise * (s - 2) for s in SEEDS}
    return pd.DataFrame([{"model": "dcnv2", "scale": 4, "embedding": kind, "seed": s,
                          "field_ia": list(base + jitter[s] + (me_gain if kind == "ME" else 0)),
                          "test_auc": 0.78, "steps": 500}
                         for s in SEEDS for kind in ("SE", "ME")])


def test_me_raises_ia_most_for_large_fields():
    rising = np.array([0.0, 2.0, 3.0, 4.0, 5.0])  # larger gains for larger fields
    assert C.me_raises_ia(_runs(rising), "dcnv2", 4, DIMS, 40).verdict == "reproduced"
    # a gain, but the same for every field: the cardinality half fails (rho = nan -> absent)
    flat = np.array([0.0, 3.0, 3.0, 3.0, 3.0]) + np.array([0, 0.01, -0.01, 0.02, -0.02])
    finding = C.me_raises_ia(_runs(flat), "dcnv2", 4, DIMS, 40)
    assert finding.verdict != "reproduced" and "cardinality" in finding.reason
    assert C.me_raises_ia(_runs(np.zeros(5)), "dcnv2", 4, DIMS, 40).verdict != "reproduced"
    falling = -rising
    assert C.me_raises_ia(_runs(falling), "dcnv2", 4, DIMS, 40).verdict == "not reproduced"
    unlearned = _runs(rising).assign(test_auc=0.5)
    gated = C.me_raises_ia(unlearned, "dcnv2", 4, DIMS, 40)
    assert gated.verdict == "inconclusive" and "did not learn" in gated.reason
