"""Effects paired by seed: the difference of two arms on the seeds both arms ran.

A trained quantity (test AUC, information abundance) differs from seed to seed; comparing two
arms (bf16 vs fp32, ME vs SE, regularised vs standard) seed by seed removes the part of that
noise the arms share. :func:`paired_effect` keeps only seeds present in both arms and returns
the per-seed differences with their mean, standard deviation and standard error, so that every
verdict can state n and its margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

__all__ = ["PairedEffect", "paired_effect", "pooled_effect", "seed_spread", "effect_verdict",
           "combine_verdicts", "threshold_verdict", "Finding", "p_text"]


@dataclass(frozen=True)
class PairedEffect:
    """``treated - control`` per shared seed, summarised."""

    differences: dict[int, float] = field(default_factory=dict)

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

    def text(self, digits: int = 4) -> str:
        """``+0.0012 ± 0.0003 (n = 3)``: the mean and its standard error, for prose."""
        if not self.n:
            return "no shared seeds"
        if self.n > 1 and self.sem > 0:  # enough decimals to show the standard error
            digits = min(max(digits, 1 - math.floor(math.log10(self.sem))), 8)
        spread = f" ± {self.sem:.{digits}f}" if self.n > 1 else ""
        return f"{self.mean:+.{digits}f}{spread} (n = {self.n})"


def paired_effect(treated: Mapping[int, float], control: Mapping[int, float]) -> PairedEffect:
    """Per-seed ``treated[s] - control[s]`` over the seeds present in both arms (NaN values
    count as absent)."""
    shared = sorted(set(treated) & set(control))
    return PairedEffect({int(s): float(treated[s]) - float(control[s]) for s in shared
                         if math.isfinite(treated[s]) and math.isfinite(control[s])})


def pooled_effect(effects: Mapping[str, PairedEffect]) -> PairedEffect:
    """The per-seed mean of several cells' paired differences, over the seeds every cell has:
    one effect for a claim about all cells, so that testing many cells does not multiply the
    chance that noise in one of them decides the verdict."""
    seeds = set.intersection(*(set(e.differences) for e in effects.values())) if effects \
        else set()
    return PairedEffect({s: float(np.mean([e.differences[s] for e in effects.values()]))
                         for s in sorted(seeds)})


def seed_spread(values: Mapping[int, float]) -> float:
    """Standard deviation over seeds of one arm's values (nan below 2 seeds): the noise an
    effect must be compared with."""
    finite = [float(v) for v in values.values() if math.isfinite(v)]
    return float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan


def effect_verdict(effect: PairedEffect, expected_sign: int = 1, every_pair: bool = True
                   ) -> tuple[str, str]:
    """The verdict on a paired effect whose paper direction is ``expected_sign`` (+1 or -1),
    with its computed reason.

    ``reproduced``: the mean has the paper's direction and exceeds twice its standard error,
    and (``every_pair``, the rule for seeds) every pair agrees; ``not reproduced``: the mean is
    more than twice its standard error the other way; otherwise ``inconclusive`` (within the
    noise, fewer than 2 pairs, or pairs that disagree)."""
    if effect.n < 2:
        return "inconclusive", f"{effect.n} pair(s): no spread to compare the effect with"
    signed = expected_sign * effect.mean
    margin = 2 * effect.sem
    agree = sum(expected_sign * d > 0 for d in effect.differences.values())
    text = f"{effect.text()}; {agree} of {effect.n} pairs in the paper's direction"
    if signed > margin and (agree == effect.n or not every_pair):
        return "reproduced", text
    if signed < -margin:
        return "not reproduced", text + ", the mean beyond 2 standard errors the other way"
    return "inconclusive", text + ", within 2 standard errors of zero" if abs(signed) <= margin \
        else text + ", not in every pair"


def combine_verdicts(verdicts: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """One verdict from the parts of a finding (``name -> (verdict, reason)``, e.g. one per
    scale): ``reproduced`` when every part is, ``not reproduced`` when some part goes robustly
    the other way and none is reproduced, ``partly reproduced`` when some are, otherwise
    ``inconclusive``; the reason lists the parts."""
    found = [v for v, _ in verdicts.values()]
    verdict = ("reproduced" if found and all(v == "reproduced" for v in found) else
               "partly reproduced" if "reproduced" in found else
               "not reproduced" if "not reproduced" in found else "inconclusive")
    return verdict, "; ".join(f"{k}: {v} ({why})" for k, (v, why) in verdicts.items())


def threshold_verdict(shows: bool, partly: bool = False) -> str:
    """The verdict of an illustration judged on a fixed threshold (an identity, a constructed
    example, one seed of the reader's data): it showed, it showed in part, or it did not.
    Paper findings use :func:`effect_verdict` instead."""
    return "reproduced" if shows else ("partly reproduced" if partly else "not reproduced")


@dataclass(frozen=True)
class Finding:
    """A verdict on one of the paper's findings: the verdict, what we measured (``ours``), the
    computed reason, and the paired effects behind it."""

    verdict: str
    ours: str
    reason: str
    effects: dict[str, PairedEffect]


def p_text(p: float) -> str:
    """A p-value for prose: ``p = 0.042``, or ``p < 0.001`` below that (a permutation test
    with 2,000 draws cannot say more)."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
