"""``python -m me_core diagnose``: is a model's embedding collapsed? (IA per table vs random
tables)."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, fail


def add_to(commands) -> None:
    dg = add_command(
        commands, "diagnose",
        help="is a model's embedding collapsed? (IA per table vs random tables)",
        description="Load the embedding tables of a checkpoint and print, per table, the "
                    "information abundance, that of a random Gaussian table of the same shape, "
                    "their ratio and (for several embedding sets) their diversity. A me_core "
                    "run folder (or its best.pt) gives its per-field tables; any other .pt "
                    "state dict gives every 2-D tensor whose name contains --pattern.",
        examples=["python -m me_core diagnose runs/RUN_KEY",
                  "python -m me_core diagnose model.pt --pattern emb --plot report.png"],
    )
    dg.add_argument("checkpoint", type=Path, help="a .pt state dict or a me_core run folder")
    dg.add_argument("--pattern", default="emb",
                    help="state dict: tensors whose name contains this are tables (emb)")
    dg.add_argument("--plot", type=Path, default=None, help="write the report's plot here")
    dg.add_argument("--field-sizes", type=int, nargs="+", default=None, metavar="ROWS",
                    help="cut a fused table (one table for all fields) into fields of these "
                         "row counts, in order (default: each table is one field)")
    dg.set_defaults(func=run)


_PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def run(args: argparse.Namespace) -> int:
    from me_core.diagnosis import cut_into_fields, diagnose, load_tables

    if args.plot is not None:  # checked before the checkpoint is read
        if args.plot.suffix.lower() not in _PLOT_FORMATS:
            return fail("diagnose", f"--plot {args.plot}: name a {', '.join(_PLOT_FORMATS)} "
                                    f"file")
        if not args.plot.resolve().parent.is_dir():
            return fail("diagnose", f"--plot {args.plot}: no folder {args.plot.parent}")
    skipped: list[str] = []
    try:
        tables = load_tables(args.checkpoint, args.pattern, skipped)
        if args.field_sizes:
            tables = cut_into_fields(tables, args.field_sizes)
        report = diagnose(tables)
    except (OSError, ValueError) as exc:
        return fail("diagnose", exc)
    if skipped:
        print(f"skipped {len(skipped)} 2-D tensor(s) whose name lacks {args.pattern!r}: "
              + ", ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else "")
              + " (--pattern chooses the tables)")
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
