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
    assert len(a.pairs) == 61 and all(i < j for i, j in a.pairs)  # B1: 8 x 5 + 21 pairs
    a3 = make_synthetic_ctr(rows=20_000, seed=3, teacher="A3")
    assert len(a3.pairs) == 10 and all(i < j for i, j in a3.pairs)


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


# --- teacher B1: the design rules of the module docstring, checked ------------------------
def test_b1_design_rules_hold_on_the_book_benchmark():
    from me_core.data.synthetic import make_teacher

    config = SyntheticConfig(teacher="B1")
    teacher = make_teacher(config)
    dims = config.cardinalities
    assert all(teacher.partners(f) for f in range(len(dims)))  # rule 1: no field alone
    for f, d in enumerate(dims):  # rule 2: above 40 wherever a field has more than 40 values
        rank = teacher.truth_rank(f)
        assert rank > 40 if d > 40 else rank == d
    ranks = set(teacher.pair_ranks.values())  # rule 3: low-rank and high-rank pairs
    assert {5, 8, 12, 20, 30} <= ranks and max(ranks) == 30
    small = set(range(5))
    low = [f for f in range(5, 20) if set(teacher.partners(f)) == small]
    high = [f for f in range(5, 20) if not set(teacher.partners(f)) & small]
    assert len(low) == 8 and len(high) == 7 and sorted(low + high) == list(range(5, 20))


def test_b1_truth_is_drawn_apart_from_the_rows_and_read_by_cache_id():
    from me_core.data.synthetic import make_teacher

    small = make_synthetic_ctr(teacher="B1", rows=20_000)
    other = make_synthetic_ctr(teacher="B1", rows=30_000)
    for f in (0, 7, 19):  # the truth does not depend on how many rows are drawn
        np.testing.assert_array_equal(small.truth(f), other.truth(f))
        np.testing.assert_array_equal(small.truth(f), make_teacher(small.config).truth(f))
    assert abs(small.y.mean() - 0.25) < 0.015 and 0.85 < small.bayes_auc < 0.97
    # the logit is the truth's: first-order column plus the pairs' inner products
    x = small.x[:50]
    logit = sum(small.truth(f)[x[:, f], 0] for f in range(20))
    for i, j in small.pairs:
        k = small.teacher.pair_ranks[(i, j)]
        a = small.teacher.factors[(i, j)][0][x[:, i]]
        b = small.teacher.factors[(i, j)][1][x[:, j]]
        assert a.shape[1] == b.shape[1] == k
        logit = logit + (a * b).sum(1)
    np.testing.assert_allclose(small.teacher.logit(x), logit)


def test_headroom_rises_with_rank_to_the_bayes_auc():
    data = make_synthetic_ctr(teacher="B1", rows=30_000)
    headroom = data.teacher.headroom(data.x, data.y, ranks=(1, 10, 100))
    assert headroom[1] < headroom[10] < headroom[100]
    assert headroom[100] == pytest.approx(data.bayes_auc)  # rank 100 > every truth: no cut


def test_b1_refuses_too_few_fields_for_its_groups():
    with pytest.raises(ValueError, match="small_fields"):
        SyntheticConfig(teacher="B1", cardinalities=(5, 10, 20, 50))
