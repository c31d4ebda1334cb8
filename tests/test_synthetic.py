"""Synthetic CTR benchmark: determinism, shape, click rate, skew, and where the signal lies."""

import numpy as np
import pytest

from me_core.data import SyntheticConfig, make_synthetic_ctr


def test_deterministic_and_well_formed():
    a = make_synthetic_ctr(rows=20_000, seed=3)
    b = make_synthetic_ctr(rows=20_000, seed=3)
    c = make_synthetic_ctr(rows=20_000, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    dims = np.array(a.config.cardinalities)
    assert a.x.shape == (20_000, len(dims)) and a.x.dtype == np.int64
    assert (a.x >= 0).all() and (a.x.max(0) < dims).all()
    assert abs(a.y.mean() - 0.25) < 0.015
    assert len(a.pairs) == 10 and all(i < j for i, j in a.pairs)


def test_values_are_zipf_skewed():
    data = make_synthetic_ctr(rows=50_000, seed=0)
    largest = data.x[:, -1]
    top_share = np.bincount(largest).max() / len(largest)
    assert top_share > 50 * (1 / data.config.cardinalities[-1])


def test_planted_interactions_carry_the_signal():
    full = make_synthetic_ctr(rows=60_000, seed=1)
    first_order_only = make_synthetic_ctr(rows=60_000, seed=1, interaction_weight=0.0)
    assert 0.85 < full.bayes_auc < 0.97
    assert first_order_only.bayes_auc < full.bayes_auc - 0.15


@pytest.mark.parametrize("kwargs, name", [
    (dict(rows=0), "rows"), (dict(ctr=1.0), "ctr"), (dict(interacting_pairs=1000), "pairs"),
    (dict(cardinalities=(5,)), "cardinalities"), (dict(noise_std=-1.0), "noise_std"),
])
def test_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SyntheticConfig(**kwargs)
