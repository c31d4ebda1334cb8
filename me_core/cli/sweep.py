"""``python -m me_core sweep``: run a grid of trainings (local or Ray), skipping runs already
recorded."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, add_training_flags, data_settings, fail, run_settings


def add_to(commands) -> None:
    from me_core.catalog import DATASETS, MODEL_NAMES, SWEEP_DEFAULTS

    sw = add_command(
        commands, "sweep", help="run a grid of trainings, skipping runs already recorded",
        description="Run every combination of data sets x models x scales x SE/ME x seeds x "
                    "fractions that is not yet in the records file (an interrupted sweep "
                    "resumes). Scale 1 runs once (SE and ME coincide). Backends: local, ray.",
        examples=["python -m me_core sweep --models dcnv2 dnn --scales 1 2 4 --seeds 0 1 2 "
                  "--protocol quick",
                  "python -m me_core sweep --datasets criteo --data-path train.txt --models "
                  "dcnv2 dnn ipnn nfwfm xdeepfm finalmlp autoint --scales 1 2 3 4 10 --seeds 0 "
                  "1 2 3 4 --protocol paper --dry-run",
                  "python -m me_core sweep --spec examples/sweep.yml"],
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
    sw.add_argument("--dry-run", action="store_true",
                    help="print the grid, what the records already hold and an estimate of "
                         "the time left (from recorded runs of the same cells), train nothing")
    sw.add_argument("--measured", nargs="+", type=Path, default=[], metavar="RECORDS",
                    help="--dry-run: more record files whose run times the estimate may use "
                         "(default: none)")
    add_training_flags(sw)
    sw.set_defaults(func=run)


_GRID_FLAGS = ("datasets", "models", "scales", "embeddings", "seeds", "fractions")


def run(args: argparse.Namespace) -> int:
    from me_core.data import DataError
    from me_core.train import ConfigError
    from me_core.train.sweep import SweepSpec, load_spec, plan, run_sweep

    grid = {name: getattr(args, name) for name in _GRID_FLAGS
            if getattr(args, name) is not None}
    if args.spec is not None and grid:
        return fail("sweep", f"--spec gives the whole grid; put "
                              f"{', '.join(f'--{n}' for n in grid)} in {args.spec} instead")
    if args.workers > 1 and args.backend == "local":
        import torch

        if torch.cuda.device_count() < 2:
            return fail("sweep", f"--workers {args.workers}: local workers are one per GPU and "
                                  f"this machine has {torch.cuda.device_count()}; use "
                                  f"--backend ray for several CPU workers")
    try:
        if args.spec is not None:
            spec = load_spec(args.spec)
        else:
            spec = SweepSpec(**grid)
        spec.settings = {**spec.settings, **run_settings(args)}
        for dataset in spec.datasets:
            spec.data[dataset] = {**spec.data.get(dataset, {}), **data_settings(args, dataset)}
        if args.dry_run:
            print(plan(spec, args.records, args.measured))
            return 0
        report = run_sweep(spec, args.records, args.run_root, backend=args.backend,
                           workers=args.workers, address=args.address,
                           cpus_per_run=args.cpus_per_run, gpus_per_run=args.gpus_per_run,
                           cache_dir=args.cache_dir, threads=args.threads,
                           progress=not args.quiet)
    except (ConfigError, DataError, ValueError, OSError) as exc:
        return fail("sweep", exc)
    print(report.describe())
    print(f"records: {args.records}")
    return 1 if report.failed else 0
