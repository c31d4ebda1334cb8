"""``python -m me_core analyse``: store the weight analyses of finished runs (Fig. 1b, 3, 9,
10, 14, 16) beside their records, so that chapters can read them for every seed."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, fail, output_file_problem


def add_to(commands) -> None:
    an = add_command(
        commands, "analyse", help="store the weight analyses of finished runs",
        description="Load the best checkpoint of every finished run folder given (or every "
                    "one under --run-root) and append its weight analyses to --out, one JSON "
                    "line per run key: per-field spectra and IA, sub-embedding IA matrices "
                    "(DCNv2, FFM), set diversity and interaction patterns (ME). Runs already "
                    "in --out are skipped, so an interrupted call resumes.",
        examples=["python -m me_core analyse --run-root runs/chapters "
                  "--out results/b1/analyses/analyses.jsonl"],
    )
    an.add_argument("run_dirs", nargs="*", type=Path, help="finished run folders")
    an.add_argument("--run-root", type=Path, default=None,
                    help="every finished run folder under this folder")
    an.add_argument("--out", type=Path, required=True, help="JSON-lines file to append to")
    an.add_argument("--truth-only", action="store_true",
                    help="only the fields' IA and, on synthetic data, the ground-truth scores "
                         "(fast: for every run of a sweep)")
    an.add_argument("--cache-dir", type=Path, default=None,
                    help="data cache (default: $ME_CORE_CACHE or ~/.cache/me-core)")
    an.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from me_core.companion.weights import analyse_runs, finished_runs
    from me_core.runtime import configure_threads

    configure_threads()
    if not args.run_dirs and args.run_root is None:
        return fail("analyse", "give run folders or --run-root")
    if args.run_root is not None and not args.run_root.is_dir():
        return fail("analyse", f"--run-root: {args.run_root} is not a folder")
    if problem := output_file_problem("--out", args.out, makes_folders=True):
        return fail("analyse", problem)
    run_dirs = list(args.run_dirs) + (list(finished_runs(args.run_root)) if args.run_root
                                      else [])
    missing = [d for d in run_dirs if not (d / "best.pt").is_file()]
    if missing:
        return fail("analyse", f"{missing[0]}: not a finished run folder (no best.pt)")
    try:
        appended, skipped = analyse_runs(run_dirs, args.out, cache_dir=args.cache_dir,
                                         truth_only=args.truth_only)
    except (ValueError, OSError) as exc:
        return fail("analyse", exc)
    print(f"{appended} run(s) analysed, {skipped} already in {args.out}")
    return 0
