"""``python -m me_core results``: print recorded runs: test AUC/logloss mean +- std over the seeds
of otherwise identical runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, fail, output_file_problem


def add_to(commands) -> None:
    rs = add_command(
        commands, "results", help="print recorded runs: mean +- std over seeds",
        description="Load run records (JSON-lines files or folders of them) and print test "
                    "AUC and logloss, mean +- std over seeds, per data set, model, SE/ME, "
                    "scale and fraction.",
        examples=["python -m me_core results runs/records.jsonl results/b1/table1",
                  "python -m me_core results results/b1/table1 --table1 --csv table1.csv"],
    )
    rs.add_argument("records", nargs="*", type=Path, default=[Path("runs/records.jsonl")],
                    help="JSON-lines record files or folders of them (default: "
                         "runs/records.jsonl)")
    rs.add_argument("--table1", action="store_true",
                    help="print Table 1's layout (model x SE/ME by scale, test AUC mean +- "
                         "standard deviation over seeds) beside the paper's Criteo Table 1")
    rs.add_argument("--csv", type=Path, default=None, metavar="OUT.csv",
                    help="also write the printed table as CSV (default: none)")
    rs.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from me_core.train import records_frame, summarize

    if problem := output_file_problem("--csv", args.csv):
        return fail("results", problem)
    try:
        frame = records_frame(args.records)
    except (ValueError, KeyError, OSError) as exc:
        return fail("results", exc)
    if frame.empty:
        missing = [str(p) for p in args.records if not Path(p).exists()]
        if missing:
            return fail("results", f"{', '.join(missing)}: no such file")
        return fail("results", f"no records in {', '.join(map(str, args.records))}")
    if args.table1:
        from me_core.companion import paper
        from me_core.companion.chapters.me_results import table1_cells

        ours = table1_cells(frame)
        print("Ours: test AUC, mean +- standard deviation over seeds (n marked below "
              "5 seeds)\n" + ours.to_string())
        print("\nReported in the paper (Criteo, Table 1; mean of 3 runs):\n"
              + paper.table1_cells("criteo").to_string())
        if args.csv is not None:
            ours.to_csv(args.csv)
            print(f"\nours as CSV: {args.csv}")
        return 0
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
    if args.csv is not None:
        table[columns].to_csv(args.csv, index=False)
        print(f"as CSV: {args.csv}")
    return 0
