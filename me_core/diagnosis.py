"""Is my model's embedding collapsed? The paper's diagnosis for any PyTorch model.

:func:`diagnose` takes

* a model built by ``me_core`` (its per-field tables and embedding sets are known),
* any other ``nn.Module``: every ``nn.Embedding`` / ``nn.EmbeddingBag`` is one table, or, for a
  fused table holding several fields, ``field_slices={"user": (0, 1000), ...}`` cuts its rows,
* or tables directly: ``{"user": tensor, ...}``, or ``{"user": [set1, set2], ...}`` for several
  embedding sets per field,

and returns a :class:`CollapseReport`: per field, the singular spectrum, the information
abundance IA = sum(sigma) / max(sigma) (paper section 2), the IA of a random Gaussian table of
the same shape (what "no collapse" looks like at that shape), their ratio, and, with several
sets, their diversity (1 - mean cosine of principal angles, section 5.2).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from me_core.metrics import (
    embedding_set_diversity,
    information_abundance,
    normalized_singular_values,
)
from me_core.stats import Finding, threshold_verdict

#: rows of the random reference table are capped here (IA of a tall Gaussian table converges
#: quickly in the number of rows)
RANDOM_REFERENCE_ROWS = 50_000
#: a table with more rows than columns counts as collapsed below this share of the IA of a
#: random table of the same shape
COLLAPSED_BELOW = 0.5
#: a table keeping at least this share of a random table's IA looks untrained (training moves
#: a table's spectrum; an untrained copy scores about 1)
UNTRAINED_ABOVE = 0.95

__all__ = ["diagnose", "CollapseReport", "tables_of", "load_tables", "collapsed_share",
           "cut_into_fields", "RANDOM_REFERENCE_ROWS", "COLLAPSED_BELOW", "UNTRAINED_ABOVE"]


def cut_into_fields(tables: Mapping[str, list], sizes: Sequence[int]
                    ) -> dict[str, list[torch.Tensor]]:
    """A fused table (the one table of ``tables``) cut into fields of ``sizes`` rows each, in
    order ("field 0", "field 1", ...); the sizes must add up to its rows."""
    if len(tables) != 1:
        raise ValueError(f"--field-sizes cuts one fused table; found {len(tables)} "
                         f"({', '.join(list(tables)[:5])}): narrow --pattern to one")
    (name, sets), = tables.items()
    rows = sets[0].shape[0]
    if any(s < 1 for s in sizes) or sum(sizes) != rows:
        raise ValueError(f"--field-sizes {' '.join(map(str, sizes))}: add up to "
                         f"{sum(sizes)}, but table {name!r} has {rows} rows")
    edges = np.cumsum([0, *sizes])
    return {f"field {i}": [t[a:b] for t in sets]
            for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))}


def collapsed_share(ia_ratio: pd.Series, tall: pd.Series) -> float:
    """The share of the tables with more rows than columns (``tall``) whose IA is below
    :data:`COLLAPSED_BELOW` of a random table's (``ia_ratio``: learned / random); 0 with none."""
    return float((ia_ratio[tall] < COLLAPSED_BELOW).mean()) if tall.any() else 0.0


@dataclass
class CollapseReport:
    """Per-field diagnosis; ``fields`` is a DataFrame, ``spectra`` the normalised spectra."""

    fields: pd.DataFrame
    spectra: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self) -> str:
        f = self.fields
        tall = f[f.rows > f.width]
        collapsed = tall[tall.ia_ratio < COLLAPSED_BELOW]
        text = (f"{len(f)} table(s); median IA / IA of a random table of the same shape: "
                f"{f.ia_ratio.median():.2f}. ")
        if len(tall):
            text += (f"{len(collapsed)} of {len(tall)} table(s) with more rows than columns keep "
                     f"less than half of a random table's IA")
            if len(collapsed):
                worst = collapsed.sort_values("ia_ratio").head(3)
                text += " (lowest: " + ", ".join(
                    f"{n} {r:.2f}" for n, r in zip(worst.index, worst.ia_ratio)) + ")"
            text += "."
        if "diversity" in f and f.diversity.notna().any():
            text += f" Mean diversity between embedding sets: {f.diversity.mean():.3f}."
        if len(tall):
            verdict = "collapsed" if len(collapsed) >= len(tall) / 2 else "not collapsed"
            text += (f" Verdict: {verdict} (the rule: collapsed when at least half of the "
                     f"tables with more rows than columns keep less than "
                     f"{COLLAPSED_BELOW:.0%} of a random table's IA).")
        untrained = tall[tall.ia_ratio >= UNTRAINED_ABOVE]
        if len(untrained):
            text += (f" Warning: {len(untrained)} of {len(tall)} table(s) keep at least "
                     f"{UNTRAINED_ABOVE:.0%} of a random table's IA and look untrained: "
                     + ", ".join(map(str, untrained.index[:5]))
                     + (" ..." if len(untrained) > 5 else "")
                     + ". Is this the trained checkpoint?")
        return text

    def renamed(self, names: Mapping[str, str]) -> "CollapseReport":
        """The same report with tables renamed (``old -> new``; others keep their name)."""
        return CollapseReport(self.fields.rename(index=lambda n: names.get(n, n)),
                              {names.get(k, k): v for k, v in self.spectra.items()})

    def finding(self, label: str) -> Finding:
        """The collapse verdict of this model (an illustration): "reproduced" when at least half
        of its tables with more rows than columns keep less than half of a random table's IA,
        "partly reproduced" when some do; ``label`` names the model in the sentence."""
        tall = self.fields.rows > self.fields.width
        share = collapsed_share(self.fields.ia_ratio, tall)
        ours = (f"{label}: {share:.0%} of tables with more rows than columns keep less than half "
                f"of a random table's IA; median ratio {self.fields.ia_ratio[tall].median():.2f}")
        return Finding(threshold_verdict(share >= 0.5, share > 0), ours, "", {})

    def plot(self, axes=None):
        """Two panels: IA learned vs random per field, and the normalised spectra."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        f = self.fields
        x = np.arange(len(f))
        axes[0].bar(x - 0.2, f.ia_random, 0.4, label="random table, same shape")
        axes[0].bar(x + 0.2, f.ia, 0.4, label="this model")
        axes[0].set_xticks(x, f.index, rotation=60, fontsize=7)
        axes[0].set_ylabel("information abundance")
        axes[0].legend()
        for name, sigma in self.spectra.items():
            axes[1].plot(np.arange(1, len(sigma) + 1), sigma, lw=1, label=name)
        axes[1].set_xlabel("singular value index k")
        axes[1].set_ylabel(r"$\sigma_k / \sigma_{\max}$")
        if len(self.spectra) <= 8:
            axes[1].legend(fontsize=7)
        return axes


def tables_of(model: nn.Module, field_slices: Mapping[str, tuple] | None = None
              ) -> dict[str, list[torch.Tensor]]:
    """The embedding tables of ``model``, one list of sets per field (see module docstring).

    ``field_slices`` cuts fused tables into fields: ``{"user": (start, stop)}`` for a model with
    one table, ``{"user": ("table name", start, stop)}`` to name the table among several."""
    if hasattr(model, "field_embeddings") and hasattr(model, "num_fields") and not field_slices:
        names = getattr(model, "field_names", None) or [f"field {i}"
                                                        for i in range(model.num_fields)]
        return {str(names[i]): list(model.field_embeddings(i)) for i in range(model.num_fields)}
    found = {name: module.weight.detach() for name, module in model.named_modules()
             if isinstance(module, (nn.Embedding, nn.EmbeddingBag))}
    if not found:
        raise ValueError(f"{type(model).__name__} has no nn.Embedding or nn.EmbeddingBag; pass "
                         f"its tables directly")
    if not field_slices:
        return {name: [table] for name, table in found.items()}
    out = {}
    for name, cut in field_slices.items():
        if len(cut) == 3:
            source, start, stop = cut
            if source not in found:
                raise ValueError(f"field {name!r}: no table {source!r}; tables are "
                                 f"{sorted(found)}")
        elif len(found) == 1:
            (source,), (start, stop) = found.keys(), cut
        else:
            raise ValueError(f"field {name!r}: the model has {len(found)} tables "
                             f"{sorted(found)}; name one: (table, start, stop)")
        table = found[source]
        if not 0 <= start < stop <= table.shape[0]:
            raise ValueError(f"field {name!r}: rows [{start}, {stop}) outside the table's "
                             f"{table.shape[0]} rows")
        out[name] = [table[start:stop]]
    return out


def _as_sets(tables: Any) -> dict[str, list]:
    if isinstance(tables, nn.Module):
        return tables_of(tables)
    if isinstance(tables, Mapping):
        return {str(k): list(v) if isinstance(v, (list, tuple)) else [v]
                for k, v in tables.items()}
    if isinstance(tables, Sequence):
        return {f"table {i}": list(t) if isinstance(t, (list, tuple)) else [t]
                for i, t in enumerate(tables)}
    raise TypeError(f"cannot diagnose a {type(tables).__name__}: pass a module, a dict of "
                    f"tables or a list of tables")


def _random_ia(rows: int, width: int, generator: torch.Generator) -> float:
    sample = torch.randn(min(rows, RANDOM_REFERENCE_ROWS), width, generator=generator,
                         dtype=torch.float64)
    return information_abundance(sample)


def diagnose(model_or_tables: Any, *, field_slices: Mapping[str, tuple[int, int]] | None = None,
             seed: int = 0) -> CollapseReport:
    """Diagnose embedding collapse (see the module docstring)."""
    if isinstance(model_or_tables, nn.Module):
        sets_by_field = tables_of(model_or_tables, field_slices)
    else:
        if field_slices:
            raise ValueError("field_slices apply to a module's fused table")
        sets_by_field = _as_sets(model_or_tables)
    generator = torch.Generator().manual_seed(seed)
    rows, spectra = [], {}
    for name, sets in sets_by_field.items():
        sets = [torch.as_tensor(np.asarray(s)) if not isinstance(s, torch.Tensor) else s
                for s in sets]
        sets = [s.detach().float().cpu() for s in sets]
        if any(s.ndim != 2 or s.shape[0] != sets[0].shape[0] for s in sets):
            raise ValueError(f"{name}: every set must be a 2-D table with the same rows")
        table = torch.cat(sets, dim=1)
        try:
            ia = information_abundance(table)
        except ValueError as exc:  # NaN, inf or all-zero: name the table, not "E"
            message = str(exc)
            raise ValueError(f"table {name!r} " + message[2:] if message.startswith("E ")
                             else f"table {name!r}: {message}") from None
        ia_random = _random_ia(table.shape[0], table.shape[1], generator)
        diversity = float("nan")
        if len(sets) > 1 and sets[0].shape[0] > max(s.shape[1] for s in sets):
            diversity = float(np.mean([embedding_set_diversity(a, b)
                                       for a, b in itertools.combinations(sets, 2)]))
        rows.append({"field": name, "rows": table.shape[0], "width": table.shape[1],
                     "sets": len(sets), "ia": ia, "ia_random": ia_random,
                     "ia_ratio": ia / ia_random, "ia_per_dim": ia / table.shape[1],
                     "diversity": diversity})
        spectra[name] = normalized_singular_values(table)
    return CollapseReport(pd.DataFrame(rows).set_index("field"), spectra)


def load_tables(path: Path | str, pattern: str = "emb", skipped: list[str] | None = None
                ) -> dict[str, list[torch.Tensor]]:
    """Tables from a checkpoint: a ``me_core`` run folder (finished: its best epoch; killed:
    its last finished epoch), or its ``best.pt``/``last.pt``, gives its per-field tables; any
    other ``.pt`` state dict gives every 2-D tensor whose key contains ``pattern`` (the names of
    the other 2-D tensors are appended to ``skipped``). A damaged or foreign file is a
    one-line ``ValueError`` naming it."""
    from me_core.train.checkpoint import load_checkpoint
    from me_core.train.config import RunConfig
    from me_core.train.trainer import load_run_model, model_of_state

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    record = folder / "record.json"
    if record.is_file() and (path.is_dir() or path.name == "best.pt"):
        try:
            config = RunConfig.from_dict(json.loads(record.read_text())["config"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{record}: not a readable run record ({exc})") from None
        return tables_of(load_run_model(config, folder))
    if path.is_dir():
        if (path / "last.pt").is_file():  # a run that was killed or is still training
            path = path / "last.pt"
        else:
            raise FileNotFoundError(f"{path}: a folder without record.json or last.pt (not a "
                                    f"me_core run folder)")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    state = load_checkpoint(path)
    if "optimizer" in state and "key" in state:  # a me_core last.pt: rebuild its model
        return tables_of(model_of_state(state, path))
    state = state.get("model", state.get("state_dict", state))
    tables = {k: [v] for k, v in state.items()
              if isinstance(v, torch.Tensor) and v.ndim == 2 and pattern in k.lower()}
    if skipped is not None:
        skipped += [k for k, v in state.items()
                    if isinstance(v, torch.Tensor) and v.ndim == 2 and k not in tables]
    if not tables:
        raise ValueError(f"{path}: no 2-D tensor whose name contains {pattern!r} "
                         f"(keys: {list(state)[:8]})")
    return tables
