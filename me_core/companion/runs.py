"""Trained models for the chapters: train once per build, reuse everywhere.

Several chapters analyse the same trained model (the enlarged DCNv2 of Fig. 1b is also the one
of Fig. 3, 8b and 10a). :func:`train_runs` trains each configuration once into a shared run
folder (``$ME_CORE_RUN_DIR``, which the book pipeline points at ``<build>/runs``); a chapter
that asks for a run another chapter already trained gets its record and its best checkpoint
back without training. Two notebooks executed at once wait for each other on a per-run lock
instead of training the same model twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd
from torch import nn

from me_core import environment
from me_core.catalog import with_default_teacher
from me_core.companion.plots import use_style
from me_core.companion.report import (
    RUN_DIR_ENV,
    SUMMARY_DIR_ENV,
    interactive_root,
    resolve,
    show_finding,
    summary_dir,
)
from me_core.companion.toc import PROTOCOL_OVERRIDES
from me_core.companion.weights import (
    STORED_DIGITS,
    analyse_config,
    largest_difference,
    read_analyses,
)
from me_core.files import keyed_lock
from me_core.runtime import configure_threads
from me_core.settings import protocol_settings
from me_core.stats import Finding, seed_list, with_shared_base
from me_core.train.config import RunConfig
from me_core.train.records import optimiser_steps, read_records, record_row
from me_core.train.trainer import load_run_model, train

__all__ = ["Run", "Chapter", "Sourced", "Sourced", "chapter", "chapter_of", "planted_pairs",
           "with_shared_base", "teacher_rank",
           "run_root", "data_config", "train_runs", "load_run_model", "runs_frame",
           "grid", "RUN_DIR_ENV"]


def run_root() -> Path:
    """Where chapters keep trained runs: ``$ME_CORE_RUN_DIR``, else ``runs`` next to this
    build's summaries (a book build: ``<build>/runs``), else the interactive folder
    (``<me_core cache>/interactive/runs``, see
    :func:`me_core.companion.report.interactive_root`)."""
    if chosen := environment.value(RUN_DIR_ENV):
        return Path(chosen)
    if environment.value(SUMMARY_DIR_ENV):
        return summary_dir().parent / "runs"
    return interactive_root() / "runs"


@dataclass
class Run:
    """One finished training run: its config, its record (metrics, history, IA, provenance)
    and the model restored from its best epoch (on the CPU, in eval mode)."""

    config: RunConfig
    record: dict[str, Any]
    model: nn.Module
    reused: bool

    @property
    def label(self) -> str:
        return self.config.label()


def data_config(dataset: str = "synthetic", data_path: str | None = None,
                rows: int | None = None, data_options: dict[str, Any] | None = None,
                **settings: Any) -> RunConfig:
    """The base RunConfig of a chapter: data set (``rows`` sizes synthetic data;
    ``data_options`` e.g. a table's label and columns) plus protocol settings such as
    ``max_epochs`` or ``batch_size``."""
    from me_core.data.synthetic import SyntheticConfig

    # the default row count is left out, so the key matches a sweep run without --rows
    options = ({"rows": int(rows)} if dataset == "synthetic" and rows
               and int(rows) != SyntheticConfig.rows else {})
    options.update({k: v for k, v in (data_options or {}).items() if v is not None})
    options = with_default_teacher(dataset, options)
    return RunConfig(dataset=dataset, data_path=str(data_path) if data_path else None,
                     data_options=options, **settings)


def train_runs(configs: Iterable[RunConfig], *, root: Path | str | None = None,
               verbose: bool = True) -> list[Run]:
    """Train every config (or reuse its finished run in ``root``); return the runs in order."""
    root = Path(root) if root is not None else run_root()
    out = []
    for config in configs:
        run_dir = root / config.key()
        start = time.perf_counter()
        with keyed_lock(root, config.key()):
            result = train(config, run_dir=run_dir, records=root / "records.jsonl")
        model = result.model.cpu().eval()
        if verbose:
            how = "reused (trained earlier in this build)" if result.reused else \
                f"trained in {time.perf_counter() - start:.0f} s"
            print(f"{config.label():<40} test AUC {result.record['test']['auc']:.4f}  {how}")
        out.append(Run(config, result.record, model, result.reused))
    return out


def grid(base: RunConfig, models: Sequence[str], scales: Sequence[int],
         embeddings: Sequence[str] = ("se", "me"), seeds: Sequence[int] = (0,),
         **overrides: Any) -> list[RunConfig]:
    """The runs of a models x scales x SE/ME x seeds grid on ``base`` (scale 1 once, as SE:
    "base is shared by SE and ME", Table 1)."""
    out, seen = [], set()
    for model in models:
        for scale in scales:
            for kind in embeddings:
                for seed in seeds:
                    config = replace(base, model=model, scale=int(scale),
                                     multi_embedding=kind == "me" and scale > 1,
                                     seed=int(seed), **overrides)
                    if config.key() not in seen:
                        seen.add(config.key())
                        out.append(config)
    return out


def runs_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One :func:`me_core.train.records.record_row` per run (the same columns as committed
    records), with ``source`` "this build"."""
    return pd.DataFrame([{**record_row(run.record), "source": "this build"} for run in runs])


def planted_pairs(config: RunConfig) -> list[tuple[int, int]] | None:
    """The field pairs the synthetic teacher of ``config``'s data interacts (ground truth known
    only for synthetic data; None for every other data set)."""
    pairs = config.open_data().feature_map.details.get("planted_pairs")
    return [tuple(p) for p in pairs] if pairs else None


def teacher_rank(config: RunConfig) -> int | None:
    """The rank of the synthetic teacher's per-value latents (None for every other data set)."""
    source = config.open_data().feature_map.source
    return source.get("synthetic", {}).get("latent_rank") if isinstance(source, dict) else None


def describe_data(config: RunConfig) -> str:
    """One line naming the data of ``config`` for prose and the status page (synthetic data is
    always called synthetic)."""
    fmap = config.open_data().feature_map
    text = f"{fmap.dataset} ({fmap.rows:,} rows, {fmap.num_fields} fields"
    if config.data_path and fmap.dataset == "table":
        text = (f"table {Path(config.data_path).name} ({fmap.rows:,} rows, {fmap.num_fields} "
                f"fields, positive rate {fmap.positive_rate:.3f}")
    if fmap.details.get("synthetic"):
        text = (f"synthetic CTR benchmark ({fmap.rows:,} rows, {fmap.num_fields} fields, "
                f"Bayes AUC {fmap.details['bayes_auc']:.3f}")
    return text + ")"


@dataclass
class Chapter:
    """What every training chapter sets up from its parameters cell: the base RunConfig, the
    run folder (None: this build's) and the one-line description of its data."""

    base: RunConfig
    root: Path | None
    data_text: str
    name: str = ""

    def report(self, key: str, finding: Finding, **text: Any) -> str:
        """Record ``finding`` for the status page against the paper's claim ``key`` of this
        chapter, glue its sentence under ``key`` and return it
        (:func:`me_core.companion.report.show_finding`; ``text``: ``lead``, ``readings``,
        ``source``)."""
        return show_finding(self.name, key, finding, data=self.data_text, **text)

    def grid(self, models: Sequence[str], scales: Sequence[int],
             embeddings: Sequence[str] = ("se", "me"), seeds: Sequence[int] = (0,),
             **overrides: Any) -> list[RunConfig]:
        """:func:`grid` on this chapter's base config."""
        return grid(self.base, models, scales, embeddings, seeds, **overrides)

    @property
    def feature_map(self):
        """The encoded data's :class:`~me_core.data.featuremap.FeatureMap` (fields, sizes)."""
        return self.base.open_data().feature_map

    @property
    def data(self):
        """The encoded data set of this chapter (:meth:`me_core.train.RunConfig.open_data`)."""
        return self.base.open_data()

    @property
    def planted(self) -> list[tuple[int, int]] | None:
        """The planted field pairs of the synthetic teacher (None on other data)."""
        return planted_pairs(self.base)

    def train(self, configs: Iterable[RunConfig], verbose: bool = True) -> list[Run]:
        return train_runs(configs, root=self.root, verbose=verbose)

    def collect(self, configs: Sequence[RunConfig],
                results: str | Path | Sequence[str | Path] | None, *,
                live: Callable[[RunConfig], bool]) -> Sourced:
        """Every config of a chapter's grid, from the committed run records in ``results``
        (paths relative to the repository root; "" or missing files: none) where one has its
        key, trained in this build otherwise. The configs for which ``live`` is true (the
        chapter's declared live slice; ``lambda config: False`` for none) are trained (or
        reused from this build) even when recorded, and compared with their record: the live
        slice shows the records are what this code produces."""
        recorded, origin = {}, {}
        for path in _as_paths(results):
            for record in read_records(path) if path.exists() else []:
                if record["key"] not in recorded:
                    recorded[record["key"]], origin[record["key"]] = record, path
        to_train = [c for c in configs if live(c) or c.key() not in recorded]
        runs = {run.config.key(): run for run in self.train(to_train)} if to_train else {}
        rows, differences = [], {}
        for config in configs:
            key = config.key()
            if key in runs:
                row = {**record_row(runs[key].record), "source": "this build"}
                if key in recorded:
                    differences[key] = abs(runs[key].record["test"]["auc"]
                                           - recorded[key]["test"]["auc"])
            else:
                row = {**record_row(recorded[key]), "source": "record"}
            rows.append(row)
        frame = pd.DataFrame(rows).drop_duplicates("key", ignore_index=True)
        root = resolve(".")
        used = sorted({str(origin[k].relative_to(root)) if origin[k].is_relative_to(root)
                       else str(origin[k]) for k in {c.key() for c in configs} & set(origin)})
        return Sourced(frame, list(runs.values()), differences, used, kind="runs")

    def analysed(self, configs: Sequence[RunConfig],
                 analyses: str | Path | Sequence[str | Path] | None, *,
                 live: Callable[[RunConfig], bool], truth_only: bool = False) -> Sourced:
        """The weight analyses (:func:`me_core.companion.weights.analyse_config`) of every
        config: from the committed analysis files in ``analyses`` where one has its key,
        computed from this build's trained run otherwise. The configs for which ``live`` is
        true are trained (or reused from this build) and analysed even when stored, and
        compared with their stored line: the live slice shows the stored analyses are what
        this code computes. ``truth_only``: the light analyses (fields' IA and ground truth,
        ``python -m me_core analyse --truth-only``)."""
        configs = list({c.key(): c for c in configs}.values())  # one row per run key
        paths = _as_paths(analyses)
        stored = read_analyses(paths)
        to_train = [c for c in configs if live(c) or c.key() not in stored]
        runs = {run.config.key(): run for run in self.train(to_train)} if to_train else {}
        rows, differences = [], {}
        for config in configs:
            key = config.key()
            if key in runs:
                result = analyse_config(config, runs[key].model, truth_only=truth_only)
                source = "this build"
                test_auc = runs[key].record["test"]["auc"]
                steps = optimiser_steps(runs[key].record)
                if key in stored:
                    differences[key] = largest_difference(result, stored[key]["analyses"])
            else:
                result, source = stored[key]["analyses"], "record"
                test_auc, steps = stored[key]["test"]["auc"], stored[key].get("steps", -1)
            rows.append({"key": key, "model": config.model,
                         "embedding": "ME" if config.multi_embedding else "SE",
                         "scale": config.scale, "seed": config.seed,
                         "fraction": config.fraction, "source": source,
                         "test_auc": test_auc, "steps": steps, "analyses": result})
        root = resolve(".")
        used = sorted(str(p.relative_to(root)) if p.is_relative_to(root) else str(p)
                      for p in paths if p.exists()
                      and {c.key() for c in configs if c.key() not in runs} & set(stored))
        return Sourced(pd.DataFrame(rows), list(runs.values()), differences, used,
                       kind="analyses")


def _sources(frame: pd.DataFrame) -> tuple[int, int, str]:
    """(rows from this build, rows from committed files, the seeds as text) of a chapter's
    frame with a ``source`` column."""
    built = int((frame.source == "this build").sum())
    return built, len(frame) - built, seed_list(frame.seed)


def _provenance(records: pd.DataFrame) -> str:
    """The git commits and devices of a frame of committed runs, as text."""
    commits = sorted(records.git_commit.unique())
    return (f"git commit{'s' if len(commits) > 1 else ''} "
            f"{', '.join(c[:10] for c in commits)}, device: "
            f"{'; '.join(sorted(records.device.unique()))}")


@dataclass
class Sourced:
    """A chapter's grid, each row from this build or from a committed file: runs
    (:meth:`Chapter.collect`, rows from records) or weight analyses (:meth:`Chapter.analysed`,
    rows from stored analysis lines).

    ``frame`` has one row per config with ``source`` ("this build" or "record"); ``live``
    holds the runs trained (or reused) in this build, with their models; ``differences`` maps
    the key of every live row that repeats a committed one to how far it is from it (runs:
    ``|test AUC live - recorded|``; analyses: the largest relative difference over all its
    numbers, :func:`me_core.companion.weights.largest_difference`); ``files`` are the
    committed files used."""

    frame: pd.DataFrame
    live: list[Run]
    differences: dict[str, float]
    files: list[str]
    kind: str = "runs"  # or "analyses"

    @property
    def largest_difference(self) -> float:
        return max(self.differences.values()) if self.differences else float("nan")

    def text(self) -> str:
        """What the frame combines, and whether the live rows equal their committed ones."""
        built, stored, seeds = _sources(self.frame)
        runs = self.kind == "runs"
        if not stored and not self.differences:
            return (f"{built} runs of this build (seeds {seeds}; no committed records used)"
                    if runs else f"the weights of {built} runs of this build (seeds {seeds})")
        text = (f"{built} runs of this build and {stored} committed runs of the same "
                f"configurations from {' and '.join(self.files)} (seeds {seeds})" if runs else
                f"the weights of {built} runs of this build and the stored analyses of "
                f"{stored} committed runs from {' and '.join(self.files)} (seeds {seeds})")
        if runs and stored:
            text += f", {_provenance(self.frame[self.frame.source == 'record'])}"
        if not self.differences:
            return text
        largest = self.largest_difference
        if runs:
            return text + (f"; the {len(self.differences)} live run(s) that repeat a record "
                           + ("equal it (test AUC identical)" if largest == 0 else
                              f"differ from it by at most {largest:.1e} in test AUC"))
        return text + (f"; the {len(self.differences)} run(s) analysed live that repeat a "
                       "stored line " + (
                           "equal it" if largest == 0 else
                           f"equal it to the stored {STORED_DIGITS} significant digits "
                           f"(largest relative difference {largest:.1e})"
                           if largest <= 10.0 ** (1 - STORED_DIGITS) else
                           f"differ from it by up to {largest:.1e} (relative)"
                           if largest == largest else "do not match it"))


def _as_paths(results: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if not results:
        return []
    items = [results] if isinstance(results, (str, Path)) else list(results)
    return [resolve(item) for item in items if item]


def chapter(dataset: str, data_path: str | None, rows: int | None = None, *,
            protocol: str = "quick", run_dir: str = "",
            data_options: dict[str, Any] | None = None, name: str = "",
            **settings: Any) -> Chapter:
    """The :class:`Chapter` ``name`` of a notebook's parameters (paths relative to the
    repository). ``rows`` and every setting left at None take the value of ``protocol``
    (:mod:`me_core.settings`)."""
    chosen = protocol_settings(protocol, rows=rows, **settings)
    rows = chosen.pop("rows")
    base = data_config(dataset, str(resolve(data_path)) if data_path else None, rows,
                       data_options=data_options, **chosen)
    return Chapter(base, resolve(run_dir) if run_dir else None, describe_data(base), name)


#: the parameters every training chapter's parameters cell declares (or its
#: :func:`chapter_of` call gives); the protocol overrides
#: (:data:`me_core.companion.toc.PROTOCOL_OVERRIDES`) it accepts without declaring them
CHAPTER_PARAMETERS = ("dataset", "data_path", "protocol")


def chapter_of(name: str, parameters: dict[str, Any], **options: Any) -> Chapter:
    """The :class:`Chapter` of notebook ``name`` from its parameters (pass ``globals()``): the
    data set and the protocol (:data:`CHAPTER_PARAMETERS`), and each protocol override
    (:data:`~me_core.companion.toc.PROTOCOL_OVERRIDES`: rows, max_epochs, ..., run_dir) where
    papermill, the book or a line under the parameters cell set it, the protocol's value
    otherwise. ``options`` may give any of them instead (a chapter on several data sets or
    on a table it describes) and the data set's ``data_options``; every other parameter is
    the chapter's own. Also prepares the notebook: torch threads pinned
    (:func:`me_core.runtime.configure_threads`) and the book's plot style. The one way a
    training chapter starts."""
    missing = [p for p in CHAPTER_PARAMETERS if p not in parameters and p not in options]
    if missing:
        raise ValueError(f"chapter {name!r}: its parameters cell lacks {', '.join(missing)}")
    chosen = {p: options.pop(p) if p in options else parameters[p] for p in CHAPTER_PARAMETERS}
    for p, (default, kind, _) in PROTOCOL_OVERRIDES.items():
        value = options.pop(p) if p in options else parameters.get(p, default)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"chapter {name!r}: parameter {p}={value!r} must be "
                             f"{'an int' if kind is int else 'a str'}"
                             + (" or None (the protocol's)" if default is None else ""))
        chosen[p] = value
    configure_threads()
    use_style()
    return chapter(chosen.pop("dataset"), chosen.pop("data_path"), chosen.pop("rows"),
                   name=name, **chosen, **options)
