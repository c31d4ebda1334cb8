"""Collapse findings against random tables: present, absent, reversed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.experiments import collapse as C

DIMS = [5, 50, 80, 200, 400]


def _runs(shift: float, width: int = 20, seeds=(0, 1, 2)) -> tuple[pd.DataFrame, np.ndarray]:
    random_ia = np.array([5.0, 17.0, 17.5, 18.0, 18.2])
    jitter = {0: 0.1, 1: -0.1, 2: 0.0}
    rows = [{"seed": s, "width": width, "field_ia": list(random_ia + shift + jitter[s])}
            for s in seeds]
    return pd.DataFrame(rows), random_ia


def test_learned_vs_random():
    collapsed, random_ia = _runs(-6.0)
    assert C.learned_vs_random(collapsed, random_ia, DIMS, 20).verdict == "reproduced"
    same, random_ia = _runs(0.0)
    assert C.learned_vs_random(same, random_ia, DIMS, 20).verdict == "inconclusive"
    richer, random_ia = _runs(+1.0)
    assert C.learned_vs_random(richer, random_ia, DIMS, 20).verdict == "not reproduced"


def test_normalised_ia_falls_or_not():
    random = {10: np.full(5, 9.0), 20: np.full(5, 16.0)}
    jitter = {0: 0.01, 1: -0.01, 2: 0.0}
    falling = pd.DataFrame(
        [{"seed": s, "width": w, "field_ia": [ia * w + jitter[s] * w] * 5}
         for s in (0, 1, 2) for w, ia in ((10, 0.8), (20, 0.6))])
    tidy, finding = C.normalised_ia_by_size(falling, DIMS, random)
    assert finding.verdict == "reproduced"
    assert set(tidy.kind) == {"learned", "random"}
    flat = falling.assign(field_ia=[[0.7 * w + jitter[s] * w] * 5
                                    for s, w in zip(falling.seed, falling.width)])
    assert C.normalised_ia_by_size(flat, DIMS, random)[1].verdict == "inconclusive"


def test_me_raises_ia_paired_by_seed():
    jitter = {0: 0.1, 1: -0.1, 2: 0.0}

    def runs(me_shift: float) -> pd.DataFrame:
        return pd.DataFrame([{"model": "dcnv2", "scale": 4, "embedding": kind, "seed": s,
                              "field_ia": list(np.array([5.0, 20, 25, 30, 31]) + jitter[s]
                                               + (me_shift if kind == "ME" else 0.0))}
                             for s in (0, 1, 2) for kind in ("SE", "ME")])

    assert C.me_raises_ia(runs(3.0), "dcnv2", 4, DIMS, 40).verdict == "reproduced"
    assert C.me_raises_ia(runs(0.0), "dcnv2", 4, DIMS, 40).verdict == "inconclusive"
    assert C.me_raises_ia(runs(-3.0), "dcnv2", 4, DIMS, 40).verdict == "not reproduced"
