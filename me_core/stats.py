"""Effects paired by seed, and the calibrated rules that turn them into verdicts.

A trained quantity (test AUC, information abundance) differs from seed to seed; comparing two
arms (ME vs SE, regularised vs standard) seed by seed removes the part of that noise the arms
share. :func:`paired_effect` keeps only seeds present in both arms and returns the per-seed
differences.

Every claim declares, before any data is seen, a :class:`Test`: its hypothesis type, the
quantity and unit, and its minimum meaningful effect with a rationale (the companion's
claims).
:func:`judge` applies it to one paired effect with a 95% Student-t interval of the mean
(t quantile with n - 1 degrees of freedom):

* ``direction`` ("X raises Y"): **reproduced** when the interval excludes 0 in the paper's
  direction and the mean exceeds the minimum effect; **not reproduced** when the interval
  excludes 0 the other way (robustly reversed); **no meaningful effect** when the interval lies
  inside +- the minimum effect; otherwise **inconclusive**. Both directions, one rule.
* ``equivalence`` ("barely raises"): two one-sided tests against +- the minimum effect:
  **reproduced** when the interval lies inside the band, **not reproduced** when it lies beyond
  it, otherwise **inconclusive**.
* ``noninferior`` ("DCNv2 holds", "no better"): one side of the band: **reproduced** when the
  interval stays on the paper's side of -+ the minimum effect, **not reproduced** when it lies
  beyond it, otherwise **inconclusive**.

A finding of several parts (every model, every cell, a contrast and its arms) is combined by
:func:`combine` as an intersection: **reproduced** only when every part is. Any robustly
reversed part makes it **not reproduced**, and a part that is shown negligible makes it **no
meaningful effect**; **partly reproduced** only when some parts pass and the rest are
inconclusive (a part against the paper at 95% that is not beyond the several-parts margin makes
the finding inconclusive, never partly reproduced). The reversal and "some part passes" checks
use a Bonferroni interval over the m parts (level 1 - 0.05 / m), so a finding whose parts are
all null is called reversed, or partly reproduced, at most 5% of the time however many parts
it has (checked by simulation in the tests and on the status page, :func:`simulated_rates`).
:func:`not_monotone` needs a robust rise and a robust fall.

Discrete quantities (a count of singular values, a share of fields) declare their resolution:
the interval is never narrower than one step, so identical counts over seeds are not certainty.
A random baseline (a random table of the same shape, an untrained model) is drawn once per seed,
so its own variance enters the interval.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np
from scipy import stats as _scipy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LEVEL", "VERDICTS", "TEST_KINDS", "PairedEffect", "paired_effect", "pooled_effect",
           "seed_spread", "Test", "Part", "judge", "effect_verdict", "equivalence_verdict",
           "combine", "combine_verdicts", "not_monotone", "learning_gate", "MIN_LEARNED_AUC",
           "MIN_STEPS", "threshold_verdict", "Finding", "not_learned", "p_text",
           "t_quantile", "smallest_resolved", "simulated_rates", "calibration_table",
           "FULL_SEEDS", "seed_list", "gate", "seed_cells", "cell_rows", "by_seed",
           "values_by_seed", "paired_gains", "with_shared_base"]

#: the confidence level of every interval
LEVEL = 0.95
#: how one quantity can be judged (:class:`Test`)
TEST_KINDS = ("direction", "equivalence", "noninferior")
#: every verdict a finding can get, in the order the status page counts them
VERDICTS = ("reproduced", "partly reproduced", "inconclusive", "no meaningful effect",
            "not reproduced", "not run")
#: the learning gate: a finding on trained models is judged only when every run's test AUC is
#: at least this (chance is 0.5; 0.05 above it is far outside the seed spread of a model that
#: learned nothing, 0.48-0.52 on labels without signal) ...
MIN_LEARNED_AUC = 0.55
#: ... and every run took at least this many optimiser steps (a 6,000-row table gives 3 batches
#: of 2,048 per epoch: 30 steps in 10 epochs is not training)
MIN_STEPS = 100


@functools.lru_cache(maxsize=None)
def t_quantile(n: int, level: float = LEVEL) -> float:
    """The two-sided Student-t quantile for a mean of ``n`` values (n - 1 degrees of freedom):
    4.30 at n = 3, 2.78 at n = 5 (95%)."""
    return float(_scipy.t.ppf(1 - (1 - level) / 2, n - 1)) if n > 1 else math.inf


@dataclass(frozen=True)
class PairedEffect:
    """``treated - control`` per shared seed, summarised. ``reference``: the control arm's mean
    over the same seeds (what a relative minimum effect is a share of)."""

    differences: dict[int, float] = field(default_factory=dict)
    reference: float = math.nan

    @property
    def seeds(self) -> list[int]:
        return sorted(self.differences)

    @property
    def n(self) -> int:
        return len(self.differences)

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.differences.values()))) if self.n else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation of the differences (nan below 2 seeds)."""
        return float(np.std(list(self.differences.values()), ddof=1)) if self.n > 1 else math.nan

    @property
    def sem(self) -> float:
        """Standard error of the mean difference (nan below 2 seeds)."""
        return self.std / math.sqrt(self.n) if self.n > 1 else math.nan

    def interval(self, level: float = LEVEL, resolution: float = 0.0) -> tuple[float, float]:
        """The Student-t interval of the mean at ``level``, never narrower than +- one
        ``resolution`` step (nan below 2 seeds)."""
        if self.n < 2:
            return math.nan, math.nan
        half = max(t_quantile(self.n, level) * self.sem, resolution)
        return self.mean - half, self.mean + half

    def text(self, digits: int = 4) -> str:
        """``+0.0012 [+0.0004, +0.0020] (n = 5)``: the mean and its 95% interval, for prose."""
        if not self.n:
            return "no shared seeds"
        if self.n > 1 and self.sem > 0:  # enough decimals to show the interval's width
            digits = min(max(digits, 1 - math.floor(math.log10(self.sem))), 8)
        if self.n < 2:
            return f"{self.mean:+.{digits}f} (n = 1)"
        lo, hi = self.interval()
        return f"{self.mean:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}] (n = {self.n})"

    def __sub__(self, other: "PairedEffect") -> "PairedEffect":
        """The contrast of two effects, paired by seed (e.g. one model's gain minus another's)."""
        shared = sorted(set(self.differences) & set(other.differences))
        return PairedEffect({s: self.differences[s] - other.differences[s] for s in shared},
                            other.mean if other.n else math.nan)


def paired_effect(treated: Mapping[int, float], control: Mapping[int, float]) -> PairedEffect:
    """Per-seed ``treated[s] - control[s]`` over the seeds present in both arms (NaN values
    count as absent); ``reference`` is the control's mean over those seeds."""
    shared = [int(s) for s in sorted(set(treated) & set(control))
              if math.isfinite(treated[s]) and math.isfinite(control[s])]
    return PairedEffect({s: float(treated[s]) - float(control[s]) for s in shared},
                        float(np.mean([control[s] for s in shared])) if shared else math.nan)


def pooled_effect(effects: Mapping[str, PairedEffect]) -> PairedEffect:
    """The per-seed mean of several cells' paired differences, over the seeds every cell has
    (its reference the cells' mean reference)."""
    seeds = set.intersection(*(set(e.differences) for e in effects.values())) if effects \
        else set()
    return PairedEffect({s: float(np.mean([e.differences[s] for e in effects.values()]))
                         for s in sorted(seeds)},
                        float(np.mean([e.reference for e in effects.values()])) if effects
                        else math.nan)


def seed_spread(values: Mapping[int, float]) -> float:
    """Standard deviation over seeds of one arm's values (nan below 2 seeds): the noise an
    effect must be compared with."""
    finite = [float(v) for v in values.values() if math.isfinite(v)]
    return float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan


@dataclass(frozen=True)
class Test:
    """How one quantity of a claim is judged, declared with the claim before any data is seen.

    ``kind``: ``direction`` (the paper says the effect has sign ``sign``), ``equivalence``
    (the paper says there is no meaningful effect either way) or ``noninferior`` (the paper
    says the effect does not go against ``sign`` by a meaningful amount: "DCNv2 holds", "no
    better"). ``min_effect``: the smallest effect that
    matters, in the quantity's unit, or a share of the control arm's mean when ``relative``.
    ``resolution``: one step of a discrete quantity (0 for continuous ones). ``quantity`` and
    ``rationale`` say what is measured and why the minimum effect is what it is."""

    quantity: str
    min_effect: float
    rationale: str
    kind: str = "direction"
    sign: int = 1
    relative: bool = False
    resolution: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in TEST_KINDS:
            raise ValueError(f"Test kind must be one of {TEST_KINDS}, got {self.kind!r}")
        if self.sign not in (1, -1):
            raise ValueError(f"Test sign must be +1 or -1, got {self.sign!r}")
        if self.min_effect < 0 or self.resolution < 0:
            raise ValueError("Test min_effect and resolution must be >= 0")

    def threshold(self, effect: PairedEffect) -> float:
        """The minimum effect for ``effect`` in the quantity's unit (a relative one times the
        control's mean; never below one resolution step)."""
        base = self.min_effect * abs(effect.reference) if self.relative else self.min_effect
        return max(base if math.isfinite(base) else math.nan, self.resolution)

    def describe(self) -> str:
        """``+ at least 0.001 AUC`` / ``within +- 5% of the control``, for pages."""
        size = f"{self.min_effect:.0%} of the control" if self.relative else f"{self.min_effect:g}"
        if self.kind == "equivalence":
            return f"within ± {size}"
        if self.kind == "noninferior":
            return f"not {'below −' if self.sign > 0 else 'above +'}{size}"
        return f"{'+' if self.sign > 0 else '−'} at least {size}"

    def flipped(self) -> "Test":
        """The same test in the other direction (for a claim worded as a fall)."""
        return replace(self, sign=-self.sign)


@dataclass(frozen=True)
class Part:
    """One judged part of a finding: the effect, its test, the verdict and its reason, the
    interval and the minimum effect in the quantity's unit."""

    name: str
    effect: PairedEffect
    test: Test
    verdict: str
    reason: str
    interval: tuple[float, float]
    threshold: float
    level: float = LEVEL

    def summary(self) -> str:
        """``name: +0.0012 [+0.0004, +0.0020], min effect 0.001, n = 5`` for the status page."""
        if not self.effect.n:
            return f"{self.name}: no shared seeds"
        lo, hi = self.interval
        interval = f" [{_num(lo)}, {_num(hi)}]" if self.effect.n > 1 else ""
        return (f"{self.name + ': ' if self.name else ''}{_num(self.effect.mean)}{interval}, "
                f"min effect {_num(self.threshold, sign=False)}, n = {self.effect.n}")


def _num(value: float, sign: bool = True) -> str:
    if not math.isfinite(value):
        return "nan"
    text = f"{value:+.3g}" if sign else f"{value:.3g}"
    return text


def judge(effect: PairedEffect, test: Test, name: str = "", level: float = LEVEL) -> Part:
    """The verdict of one paired effect under its declared ``test`` (module docstring)."""
    threshold = test.threshold(effect)
    if effect.n < 2:
        return Part(name, effect, test, "inconclusive",
                    f"{effect.n} seed(s): no spread to compare the effect with",
                    (math.nan, math.nan), threshold, level)
    lo, hi = effect.interval(level, test.resolution)
    shown = f"{_num(effect.mean)} [{_num(lo)}, {_num(hi)}], n = {effect.n}"
    if test.kind == "equivalence":
        if -threshold < lo and hi < threshold:
            verdict, why = "reproduced", f"the interval lies within ± {threshold:.3g}"
        elif lo >= threshold or hi <= -threshold:
            verdict, why = "not reproduced", f"the interval lies beyond ± {threshold:.3g}"
        else:
            verdict, why = "inconclusive", f"the interval overlaps ± {threshold:.3g}"
        return Part(name, effect, test, verdict, f"{shown}: {why}", (lo, hi), threshold, level)
    s = test.sign
    if test.kind == "noninferior":
        low, high = sorted((s * lo, s * hi))  # the interval in the paper's direction
        side = "below" if s > 0 else "above"
        if low > -threshold:
            verdict, why = "reproduced", (f"the interval stays {'above' if s > 0 else 'below'}"
                                          f" {-s * threshold:+.3g}")
        elif high < -threshold:
            verdict, why = "not reproduced", f"the interval lies {side} {-s * threshold:+.3g}"
        else:
            verdict, why = "inconclusive", f"the interval reaches {side} {-s * threshold:+.3g}"
        return Part(name, effect, test, verdict, f"{shown}: {why}", (lo, hi), threshold, level)
    low, high = sorted((s * lo, s * hi))  # the interval in the paper's direction
    if low > 0 and s * effect.mean >= threshold:
        verdict, why = "reproduced", (f"the interval excludes 0 in the paper's direction and "
                                      f"the mean exceeds the minimum effect {threshold:.3g}")
    elif high < 0:
        verdict, why = "not reproduced", "robustly reversed: the interval excludes 0 the " \
                                         "other way"
    elif -threshold < lo and hi < threshold:
        verdict, why = "no meaningful effect", (f"the interval lies within ± {threshold:.3g}, "
                                                f"the minimum effect")
    elif low > 0:
        verdict, why = "inconclusive", (f"in the paper's direction but the mean is below the "
                                        f"minimum effect {threshold:.3g}")
    else:
        verdict, why = "inconclusive", "the interval includes 0"
    return Part(name, effect, test, verdict, f"{shown}: {why}", (lo, hi), threshold, level)


def effect_verdict(effect: PairedEffect, expected_sign: int = 1, min_effect: float = 0.0, *,
                   level: float = LEVEL, resolution: float = 0.0) -> tuple[str, str]:
    """The *direction* rule on one paired effect whose paper direction is ``expected_sign``:
    (verdict, reason) as :func:`judge` gives it, with an absolute ``min_effect``."""
    part = judge(effect, Test("", min_effect, "", sign=expected_sign, resolution=resolution),
                 level=level)
    return part.verdict, part.reason


def equivalence_verdict(effect: PairedEffect, min_effect: float, *, level: float = LEVEL
                        ) -> tuple[str, str]:
    """The *no meaningful change* rule (two one-sided tests against +- ``min_effect``)."""
    part = judge(effect, Test("", min_effect, "", kind="equivalence"), level=level)
    return part.verdict, part.reason


def combine(parts: Sequence[Part] | Mapping[str, Part]) -> tuple[str, str]:
    """One verdict from the parts of a finding, all of which the claim needs (module docstring):
    a reversal anywhere (Bonferroni over the parts) is ``not reproduced``; every part
    reproduced is ``reproduced``; a part shown negligible is ``no meaningful effect``; some
    part reproduced (Bonferroni) and the rest inconclusive is ``partly reproduced``; otherwise
    ``inconclusive``. The reason names every part that is not reproduced, and why."""
    parts = list(parts.values()) if isinstance(parts, Mapping) else list(parts)
    if not parts:
        return "inconclusive", "nothing to judge"
    strict = 1 - (1 - LEVEL) / len(parts)
    adjusted = [judge(p.effect, p.test, p.name, strict) if len(parts) > 1 else p for p in parts]
    reversed_ = [a for a in adjusted if a.verdict == "not reproduced"]
    found = [p.verdict for p in parts]
    if reversed_:
        verdict = "not reproduced"
        lead = "robustly reversed: " + ", ".join(a.name or "the effect" for a in reversed_)
    elif all(v == "reproduced" for v in found):
        verdict, lead = "reproduced", ""
    elif "no meaningful effect" in found:
        verdict = "no meaningful effect"
        lead = "no meaningful effect in " + ", ".join(
            p.name or "the effect" for p in parts if p.verdict == "no meaningful effect")
    elif "not reproduced" in found:  # against the paper at 95%, not beyond the parts' margin
        verdict = "inconclusive"
        lead = ("against the paper at 95% but not beyond the margin for several parts: "
                + ", ".join(p.name for p in parts if p.verdict == "not reproduced"))
    elif any(a.verdict == "reproduced" for a in adjusted):
        verdict, lead = "partly reproduced", ""
    else:
        verdict, lead = "inconclusive", ""
    details = [f"{p.name}: {p.verdict} ({p.reason})" for p in parts if p.verdict != "reproduced"]
    if verdict == "reproduced" or not details:
        details = [f"{p.name}: {p.reason}" if p.name else p.reason for p in parts]
    if len(parts) > 1 and verdict in ("not reproduced", "partly reproduced"):
        details.append(f"reversals and partial passes checked at {strict:.1%} over "
                       f"{len(parts)} parts")
    return verdict, "; ".join(([lead] if lead else []) + details)


def combine_verdicts(parts: Mapping[str, tuple[PairedEffect, Test]]) -> tuple[str, str]:
    """:func:`combine` of named (effect, test) pairs."""
    return combine([judge(e, t, name) for name, (e, t) in parts.items()])


def not_monotone(steps: Mapping[str, PairedEffect], test: Test) -> tuple[str, str, list[Part]]:
    """"Not monotone": some step robustly rises **and** some step robustly falls (each by at
    least the minimum effect; Bonferroni over the steps in both directions). ``not
    reproduced`` when every step goes the same way robustly (monotone shown), ``inconclusive``
    otherwise. Returns (verdict, reason, the steps judged as rises)."""
    strict = 1 - (1 - LEVEL) / max(2 * len(steps), 1)
    up = [judge(e, replace(test, kind="direction", sign=1), k, strict) for k, e in steps.items()]
    down = [judge(e, replace(test, kind="direction", sign=-1), k, strict)
            for k, e in steps.items()]
    rises = [p.name for p in up if p.verdict == "reproduced"]
    falls = [p.name for p in down if p.verdict == "reproduced"]
    if rises and falls:
        verdict = "reproduced"
    elif steps and (len(rises) == len(steps) or len(falls) == len(steps)):
        verdict = "not reproduced"
    else:
        verdict = "inconclusive"
    reason = (f"robust rises: {', '.join(rises) or 'none'}; robust falls: "
              f"{', '.join(falls) or 'none'} (at {strict:.1%}, Bonferroni over "
              f"{len(steps)} steps x 2 directions); "
              + "; ".join(f"{p.name}: {p.effect.text(3)}" for p in up))
    if verdict == "not reproduced":
        reason = "monotone: every step goes the same way robustly; " + reason
    return verdict, reason, up


def learning_gate(test_auc: Sequence[float], steps: Sequence[float]) -> str:
    """Empty when every run learned (test AUC >= :data:`MIN_LEARNED_AUC` and >=
    :data:`MIN_STEPS` optimiser steps); otherwise why the finding cannot be judged."""
    aucs = np.asarray(list(test_auc), dtype=float)
    counts = np.asarray([s for s in steps if s >= 0], dtype=float)  # -1: not recorded
    problems = []
    if len(aucs) and not (aucs >= MIN_LEARNED_AUC).all():
        problems.append(f"test AUC {np.nanmin(aucs):.3f} to {np.nanmax(aucs):.3f}, below "
                        f"{MIN_LEARNED_AUC} in {int((~(aucs >= MIN_LEARNED_AUC)).sum())} of "
                        f"{len(aucs)} runs")
    if len(counts) and not (counts >= MIN_STEPS).all():
        problems.append(f"as few as {int(np.nanmin(counts))} optimiser steps (at least "
                        f"{MIN_STEPS} needed)")
    return "the models did not learn: " + "; ".join(problems) if problems else ""


def threshold_verdict(shows: bool, partly: bool = False) -> str:
    """The verdict of an illustration judged on a fixed threshold (an identity, a constructed
    example, one seed of the reader's data): it showed, it showed in part, or it did not.
    Paper findings use :func:`judge` instead."""
    return "reproduced" if shows else ("partly reproduced" if partly else "not reproduced")


@dataclass(frozen=True)
class Finding:
    """A verdict on one of the paper's findings: the verdict, what we measured (``ours``), the
    computed reason, the paired effects behind it and, where declared tests judged them, the
    judged parts (intervals and minimum effects for the status page)."""

    verdict: str
    ours: str
    reason: str
    effects: dict[str, PairedEffect]
    parts: tuple[Part, ...] = ()

    @classmethod
    def of_parts(cls, parts: Sequence[Part], ours: str, extra: str = "",
                 effects: Mapping[str, PairedEffect] | None = None) -> "Finding":
        """A finding whose verdict is :func:`combine` of ``parts`` (``extra`` appended to the
        reason; ``effects`` defaults to the parts' effects)."""
        verdict, reason = combine(parts)
        return cls(verdict, ours, reason + (f"; {extra}" if extra else ""),
                   dict(effects) if effects is not None else
                   {p.name or "effect": p.effect for p in parts}, tuple(parts))


def not_learned(why: str, ours: str = "") -> Finding:
    """The finding of models that did not learn (:func:`learning_gate`): inconclusive, with
    the reason, whatever the effects say."""
    return Finding("inconclusive", ours or "not judged", why, {})


def p_text(p: float) -> str:
    """A p-value for prose: ``p = 0.042``, or ``p < 0.001`` below that (a permutation test
    with 2,000 draws cannot say more)."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def smallest_resolved(effect: PairedEffect, power: float = 0.8) -> float:
    """The smallest true effect this effect's n and spread would call "reproduced" with
    probability ``power`` (a normal-theory approximation: (t_0.975 + t_power) x sem)."""
    if effect.n < 2 or not math.isfinite(effect.sem):
        return math.nan
    df = effect.n - 1
    return float((t_quantile(effect.n) + _scipy.t.ppf(power, df)) * effect.sem)


def simulated_rates(rule: Callable[[list[PairedEffect]], str], n: int, parts: int = 1,
                    true_effect: float = 0.0, draws: int = 4000, seed: int = 0
                    ) -> dict[str, float]:
    """How often ``rule`` (a function of ``parts`` simulated paired effects, each with ``n``
    seeds of N(true_effect, 1) differences) returns each verdict: the error rates of a rule
    measured through the real code."""
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    for _ in range(draws):
        effects = [PairedEffect(dict(enumerate(rng.normal(true_effect, 1.0, n))), 1.0)
                   for _ in range(parts)]
        verdict = rule(effects)
        counts[verdict] = counts.get(verdict, 0) + 1
    names = [v for v in VERDICTS if v != "not run"] + [k for k in counts if k not in VERDICTS]
    return {v: counts.get(v, 0) / draws for v in names}


def calibration_table(draws: int = 2000, seed: int = 0):
    """The error rates of every rule, simulated through :func:`judge`, :func:`combine` and
    :func:`not_monotone` (seed differences N(effect, 1), minimum effect 0.5 = half the seed
    spread): one row per (rule, n, true effect) with the share of each verdict. What the status
    page shows under "How to read the verdicts"."""
    import pandas as pd

    direction = Test("simulated", 0.5, "half the seed spread")
    band = replace(direction, kind="equivalence", min_effect=1.0)

    def every(effects):
        return combine([judge(e, direction, str(i)) for i, e in enumerate(effects)])[0]

    cases = [
        ("direction", 1, 0.0, lambda e: judge(e[0], direction).verdict),
        ("direction", 1, 2.0, lambda e: judge(e[0], direction).verdict),
        ("every cell, 6 cells", 6, 0.0, every),
        ("equivalence, band ± 1 sd", 1, 0.0, lambda e: judge(e[0], band).verdict),
        ("equivalence, band ± 1 sd", 1, 1.0, lambda e: judge(e[0], band).verdict),
        ("not monotone, 2 steps", 2, 0.0,
         lambda e: not_monotone({str(i): x for i, x in enumerate(e)}, direction)[0]),
    ]
    rows = []
    for name, parts, effect, rule in cases:
        for n in (3, 5):
            rates = simulated_rates(rule, n, parts, effect, draws, seed)
            rows.append({"rule": name, "seeds": n, "true effect (seed sd)": effect,
                         **{v: rates.get(v, 0.0) for v in VERDICTS if v != "not run"}})
    return pd.DataFrame(rows)


# ------------------------------------------------- run rows by cell and seed (paired by seed)
# A run frame has one row per trained run: model, embedding ("SE"/"ME"), scale, seed and values
# such as test_auc. The base model (scale 1) is shared by SE and ME (Table 1), so every gain is
# measured against the base run of the same seed.

FULL_SEEDS = 5  # the book's seeds per cell (the paper's tables are means of 3); fewer are marked


def seed_list(seeds) -> str:
    """Seeds as plain numbers for prose: ``0, 1, 2``."""
    return ", ".join(str(int(s)) for s in sorted(set(seeds)))


def gate(*frames: pd.DataFrame) -> str:
    """:func:`me_core.stats.learning_gate` over every run of ``frames`` (run rows with
    ``test_auc`` and ``steps``): empty when the models learned, else why not."""
    aucs = [a for f in frames if f is not None and "test_auc" in f for a in f.test_auc]
    steps = [s for f in frames if f is not None and "steps" in f for s in f.steps]
    return learning_gate(aucs, steps)


def with_shared_base(frame: pd.DataFrame, column: str = "embedding",
                     labels: Sequence[str] = ("ME",), base: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
    """``frame`` plus a copy of its base rows (``base``; default: every scale-1 row) under
    each of ``labels`` in ``column``: the base model is shared by SE and ME (Table 1), so
    every ME curve and cell starts at it."""
    import pandas as pd

    base = frame[frame.scale == 1] if base is None else base
    return pd.concat([frame, *(base.assign(**{column: label}) for label in labels)],
                     ignore_index=True)


def seed_cells(frame: pd.DataFrame, value: str = "test_auc") -> pd.DataFrame:
    """(model, embedding) x scale table of ``mean ± std (n)``; cells with fewer than
    FULL_SEEDS seeds end in ``*``; the base column is shared by SE and ME."""
    # the SE base only: Table 1's official-code IPNN row sits at scale 1 too, and counts once
    base = frame[(frame.scale == 1) & (frame.embedding == "SE")]
    stats = with_shared_base(frame, base=base).groupby(["model", "embedding", "scale"])[value].agg(
        ["mean", "std", "count"])

    def cell(row: pd.Series) -> str:
        text = f"{row['mean']:.5f}"
        if row["count"] > 1:
            text += f" ± {row['std']:.5f}"
        return text + (f" (n={int(row['count'])})*" if row["count"] < FULL_SEEDS else "")

    return stats.apply(cell, axis=1).unstack("scale").rename(
        columns=lambda s: "base" if s == 1 else f"{s}x")


def cell_rows(frame: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows matching every ``column=value`` in ``where``: one cell, at most one row per
    seed; two rows of one seed in the cell are an error, not a silent pick."""
    part = frame
    for column, wanted in where.items():
        part = part[part[column] == wanted]
    if part.seed.duplicated().any():
        raise ValueError(f"{where}: more than one run per seed; the cell is not unique")
    return part


def by_seed(frame: pd.DataFrame, value: str, **where) -> dict[int, float]:
    """``value`` of the rows of one cell (:func:`cell_rows`), keyed by seed (for
    :func:`paired_effect`)."""
    part = cell_rows(frame, **where)
    return {int(s): float(v) for s, v in zip(part.seed, part[value])}


def values_by_seed(frame: pd.DataFrame, model: str, embedding: str, scale: int,
                   value: str = "test_auc") -> dict[int, float]:
    """``value`` of one (model, SE/ME, scale) cell, keyed by seed (for :func:`paired_effect`)."""
    return by_seed(frame, value, model=model, embedding=embedding, scale=scale)


def paired_gains(frame: pd.DataFrame, model: str, value: str = "test_auc"
                 ) -> dict[str, PairedEffect]:
    """For one model: ``ME gain`` and ``SE gain`` (largest size minus base, per seed) and
    ``ME - SE at Sx`` for every enlarged scale, all paired by seed."""
    part = frame[frame.model == model]
    base = values_by_seed(part, model, "SE", 1, value)
    out: dict[str, PairedEffect] = {}
    for kind in ("ME", "SE"):
        scales = sorted(part[(part.embedding == kind) & (part.scale > 1)].scale.unique())
        if scales:
            out[f"{kind} gain"] = paired_effect(
                values_by_seed(part, model, kind, scales[-1], value), base)
    for scale in sorted(part[part.scale > 1].scale.unique()):
        out[f"ME - SE at {int(scale)}x"] = paired_effect(
            values_by_seed(part, model, "ME", scale, value),
            values_by_seed(part, model, "SE", scale, value))
    return out
