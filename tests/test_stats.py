"""The verdict rules, calibrated by simulation through the real code: under the null they
claim an effect (or its reversal) at most 5% of the time, at n = 3 and n = 5; with an effect of
twice the between-seed spread at n = 5 they find it at least 80% of the time; a robustly
reversed part never gives "partly reproduced"; negligible and zero-spread effects are not
certainty."""

from __future__ import annotations

import math

import pytest

from me_core.stats import (
    PairedEffect,
    combine,
    effect_verdict,
    equivalence_verdict,
    judge,
    learning_gate,
    not_monotone,
    paired_effect,
    simulated_rates,
    smallest_resolved,
    t_quantile,
)
from me_core.stats import (
    Test as Declared,
)

DIRECTION = Declared("a quantity, sd 1 between seeds", 0.5, "half the seed spread")
EQUIVALENCE = Declared("a quantity", 1.0, "one seed spread", kind="equivalence")
NONINFERIOR = Declared("a quantity", 1.0, "one seed spread", kind="noninferior")


def _effect(values, reference=1.0) -> PairedEffect:
    return PairedEffect(dict(enumerate(values)), reference)


def test_student_quantiles_and_interval():
    assert t_quantile(3) == pytest.approx(4.303, abs=1e-3)
    assert t_quantile(5) == pytest.approx(2.776, abs=1e-3)
    effect = _effect([1.0, 2.0, 3.0])
    lo, hi = effect.interval()
    assert (lo + hi) / 2 == pytest.approx(2.0)
    assert hi - 2.0 == pytest.approx(4.303 * 1 / math.sqrt(3), abs=1e-3)
    assert math.isnan(_effect([1.0]).interval()[0])


@pytest.mark.parametrize("n", [3, 5])
def test_direction_rule_under_the_null(n):
    rates = simulated_rates(lambda e: judge(e[0], DIRECTION).verdict, n)
    assert rates.get("reproduced", 0) <= 0.05
    assert rates.get("not reproduced", 0) <= 0.05
    flipped = simulated_rates(lambda e: judge(e[0], DIRECTION.flipped()).verdict, n)
    assert flipped.get("reproduced", 0) <= 0.05 and flipped.get("not reproduced", 0) <= 0.05


def test_direction_rule_finds_two_sd_at_five_seeds():
    rates = simulated_rates(lambda e: judge(e[0], DIRECTION).verdict, 5, true_effect=2.0)
    assert rates["reproduced"] >= 0.80
    reversed_ = simulated_rates(lambda e: judge(e[0], DIRECTION).verdict, 5, true_effect=-2.0)
    assert reversed_["not reproduced"] >= 0.80


@pytest.mark.parametrize("n", [3, 5])
def test_equivalence_rule_at_the_edge_of_its_band_and_inside(n):
    edge = simulated_rates(lambda e: judge(e[0], EQUIVALENCE).verdict, n, true_effect=1.0)
    assert edge.get("reproduced", 0) <= 0.05  # the null of "no meaningful change"
    inside = simulated_rates(lambda e: judge(e[0], EQUIVALENCE).verdict, n, true_effect=0.0)
    assert inside.get("not reproduced", 0) <= 0.05
    far = simulated_rates(lambda e: judge(e[0], EQUIVALENCE).verdict, 5, true_effect=4.0)
    assert far["not reproduced"] >= 0.80


@pytest.mark.parametrize("n", [3, 5])
def test_noninferiority_rule(n):
    edge = simulated_rates(lambda e: judge(e[0], NONINFERIOR).verdict, n, true_effect=-1.0)
    assert edge.get("reproduced", 0) <= 0.05
    holds = simulated_rates(lambda e: judge(e[0], NONINFERIOR).verdict, n, true_effect=0.0)
    assert holds.get("not reproduced", 0) <= 0.05
    assert judge(_effect([5.0, 5.1, 4.9]), NONINFERIOR).verdict == "reproduced"  # a rise holds
    assert judge(_effect([-5.0, -5.1, -4.9]), NONINFERIOR).verdict == "not reproduced"


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("parts", [2, 6, 14])
def test_every_cell_and_contrast_under_the_complete_null(n, parts):
    def rule(effects):
        return combine([judge(e, DIRECTION, f"cell {i}") for i, e in enumerate(effects)])[0]

    rates = simulated_rates(rule, n, parts=parts, draws=3000)
    assert rates.get("reproduced", 0) <= 0.05
    assert rates.get("not reproduced", 0) <= 0.05
    assert rates.get("partly reproduced", 0) <= 0.05


def test_every_cell_finds_an_effect_everywhere():
    def rule(effects):
        return combine([judge(e, DIRECTION, f"cell {i}") for i, e in enumerate(effects)])[0]

    assert simulated_rates(rule, 5, parts=2, true_effect=3.0)["reproduced"] >= 0.80


def test_a_robustly_reversed_part_is_never_partly_reproduced():
    def rule(effects):
        up, down = effects
        down = judge(_effect([-v for v in down.differences.values()]), DIRECTION, "down")
        verdict = combine([judge(up, DIRECTION, "up"), down])[0]
        return f"{verdict} with a reversed part" if down.verdict == "not reproduced" else verdict

    for shift in (1.0, 2.0, 4.0):  # reversed parts at every strength
        rates = simulated_rates(rule, 5, parts=2, true_effect=shift)
        assert rates.get("partly reproduced with a reversed part", 0) == 0
        assert sum(v for k, v in rates.items() if k.endswith("reversed part")) > 0.2
    verdict, reason = combine([judge(_effect([3.0, 3.1, 2.9, 3.0, 3.2]), DIRECTION, "A"),
                               judge(_effect([-3.0, -3.1, -2.9, -3.0, -3.2]), DIRECTION, "B")])
    assert verdict == "not reproduced" and "robustly reversed: B" in reason


def test_partly_only_with_inconclusive_rest_and_null_parts_are_inconclusive():
    strong = judge(_effect([3.0, 3.1, 2.9, 3.0, 3.2]), DIRECTION, "strong")
    noisy = judge(_effect([2.0, -1.0, 0.5, 3.0, -2.0]), DIRECTION, "noisy")
    assert combine([strong, noisy])[0] == "partly reproduced"
    assert combine([noisy, noisy])[0] == "inconclusive"
    negligible = judge(_effect([0.01, -0.01, 0.02, 0.0, -0.02]), DIRECTION, "tiny")
    assert negligible.verdict == "no meaningful effect"
    verdict, reason = combine([strong, negligible])
    assert verdict == "no meaningful effect" and "tiny" in reason


def test_minimum_effect_and_zero_spread_are_not_certainty():
    # (0.001, 0.001, 0.001): sem 0, but below the minimum effect
    verdict, reason = effect_verdict(_effect([0.001] * 3), min_effect=0.01)
    assert verdict == "no meaningful effect" and "0.01" in reason
    # a count over 600 singular values: 4 of them in every seed is at its resolution
    share = Declared("share", 0.05, "five points", resolution=1 / 600)
    assert judge(_effect([4 / 600] * 5), share).verdict == "no meaningful effect"
    lo, hi = _effect([4 / 600] * 5).interval(resolution=1 / 600)
    assert hi - lo == pytest.approx(2 / 600)
    # robust but small: in the paper's direction, below the minimum: inconclusive
    small = _effect([0.45, 0.5, 0.4, 0.55, 0.35])  # 0.45 [0.35, 0.55]
    assert effect_verdict(small, min_effect=0.5)[0] == "inconclusive"
    assert effect_verdict(small, min_effect=0.2)[0] == "reproduced"
    # robust and entirely inside the band: no meaningful effect
    assert effect_verdict(_effect([0.3, 0.31, 0.29, 0.3, 0.3]), min_effect=0.5)[0] == \
        "no meaningful effect"


def test_relative_minimum_effect_uses_the_control_mean():
    ia = Declared("IA", 0.05, "5% of the control", relative=True)
    effect = paired_effect({0: 10.3, 1: 10.31, 2: 10.29}, {0: 10.0, 1: 10.0, 2: 10.0})
    assert effect.reference == pytest.approx(10.0)
    assert ia.threshold(effect) == pytest.approx(0.5)
    assert judge(effect, ia).verdict == "no meaningful effect"
    assert judge(paired_effect({0: 11.0, 1: 11.1, 2: 10.9}, {0: 10.0, 1: 10.0, 2: 10.0}),
                 ia).verdict == "reproduced"


def test_equivalence_verdict_band():
    assert equivalence_verdict(_effect([0.1, -0.1, 0.05, 0.0, -0.05]), 1.0)[0] == "reproduced"
    assert equivalence_verdict(_effect([3.0, 3.1, 2.9, 3.0, 3.2]), 1.0)[0] == "not reproduced"
    assert equivalence_verdict(_effect([0.5, 1.5, 0.0, 2.0, 1.0]), 1.0)[0] == "inconclusive"


@pytest.mark.parametrize("n", [3, 5])
def test_not_monotone_under_the_null_and_with_a_rise_then_fall(n):
    def rule(effects):
        return not_monotone({f"step {i}": e for i, e in enumerate(effects)}, DIRECTION)[0]

    rates = simulated_rates(rule, n, parts=2, draws=3000)
    assert rates.get("reproduced", 0) <= 0.05 and rates.get("not reproduced", 0) <= 0.05
    rise, fall = _effect([3.0, 3.1, 2.9, 3.0, 3.2]), _effect([-3.0, -3.1, -2.9, -3.0, -3.2])
    assert not_monotone({"a": rise, "b": fall}, DIRECTION)[0] == "reproduced"
    # a robust monotone fall is not "not monotone"
    verdict, reason, _ = not_monotone({"a": fall, "b": fall}, DIRECTION)
    assert verdict == "not reproduced" and reason.startswith("monotone")


def test_learning_gate():
    assert learning_gate([0.75, 0.76], [500, 600]) == ""
    assert "did not learn" in learning_gate([0.51, 0.49], [500, 600])
    assert "optimiser steps" in learning_gate([0.75, 0.76], [30, 30])
    assert learning_gate([0.75], [-1]) == ""  # steps not recorded


def test_smallest_resolved_shrinks_with_seeds():
    three = _effect([1.0, -1.0, 0.0])
    five = _effect([1.0, -1.0, 0.0, 1.0, -1.0])
    assert smallest_resolved(five) < smallest_resolved(three)
    assert math.isnan(smallest_resolved(_effect([1.0])))
