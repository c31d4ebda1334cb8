"""Every run record the book reads on the synthetic benchmark B1 (results/README.md), seeds 0-4.

One process trains one run at a time (one torch thread), seed by seed, the runs most chapters
read first; finished runs are skipped, so an interrupted sweep resumes. Two processes may share
the run root: the second (``--reverse``) walks the same list from the other end, and a run
either of them holds is never trained twice (per-run lock). Checkpoints stay in ``runs/b1`` so
the weight analyses (``python -m me_core analyse``) need no retraining.

    python results/b1/sweep.py [--seeds 0 1 2 3 4] [--reverse] [--only GROUP ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from me_core.settings import protocol_settings  # noqa: E402
from me_core.train.config import RunConfig  # noqa: E402
from me_core.train.sweep import run_sweep  # noqa: E402

HERE = Path(__file__).resolve().parent
RUN_ROOT = ROOT / "runs" / "b1"
TEACHER = {"teacher": "B1"}
#: the models of Table 1 (and Table 7's AutoInt), in the order the sweep trains them
CORE_MODELS = ("dcnv2", "dnn")
OTHER_MODELS = ("ipnn", "nfwfm", "xdeepfm", "finalmlp", "autoint")
SCALES = (1, 2, 4)
#: the ensemble control: M independent base SE models, seeds s, s + 5, s + 10, s + 15
ENSEMBLE_MODELS = ("dcnv2", "dnn")
ENSEMBLE_SEEDS = (5, 10, 15)


def base() -> RunConfig:
    settings = protocol_settings("quick")
    settings.pop("rows")  # the generator's default row count stays out of the keys
    return RunConfig(dataset="synthetic", data_options=dict(TEACHER), **settings)


def grid(models, scales, embeddings=("se", "me"), seed=0, **overrides) -> list[RunConfig]:
    out, seen = [], set()
    for model in models:
        for scale in scales:
            for kind in embeddings:
                config = replace(base(), model=model, scale=scale, seed=seed,
                                 multi_embedding=kind == "me" and scale > 1, **overrides)
                if config.key() not in seen:
                    seen.add(config.key())
                    out.append(config)
    return out


def runs_of_seed(seed: int) -> list[tuple[str, list[RunConfig]]]:
    """(records group, configs) in training order for one seed."""
    chapters = [
        # Table 2: DCNv2 on 10% and 30% of the training split (100% is Table 1's)
        *grid(["dcnv2"], SCALES, seed=seed, fraction=0.1),
        *grid(["dcnv2"], SCALES, seed=seed, fraction=0.3),
        # Evidence III (Figures 5, 16): the paper's regulariser; Figure 17a: the code's, on ME
        *grid(["dcnv2_reg"], SCALES, ["se"], seed=seed),
        *grid(["dcnv2_reg_code"], SCALES, ["me"], seed=seed),
        # Figure 10c/d: ME with one shared interaction, and with aligned patterns
        *grid(["dcnv2_shared", "dcnv2_aligned"], (2, 4), ["me"], seed=seed),
        # Table 3: the base DCNv2 with other cross-network and MLP depths (default 4 and 2)
        *[replace(c, model_options={"cross_layers": n}) for n in (2, 6, 8)
          for c in grid(["dcnv2"], [1], seed=seed)],
        *[replace(c, model_options={"mlp_dims": dims}) for dims in ([400], [400, 400, 400])
          for c in grid(["dcnv2"], [1], seed=seed)],
        # Figure 14: the FFM
        *grid(["ffm"], [1], seed=seed),
    ]
    autoint_norm = [replace(c, model_options={"input_norm": True})
                    for c in grid(["autoint"], [1], seed=seed)]
    return [("table1", grid(CORE_MODELS, SCALES, seed=seed)), ("chapters", chapters),
            ("table1", grid(OTHER_MODELS, SCALES, seed=seed)),
            ("autoint-input-norm", autoint_norm)]


def ensemble_runs(seed: int) -> list[tuple[str, list[RunConfig]]]:
    return [("ensemble", grid(ENSEMBLE_MODELS, [1], ["se"], seed=seed + offset))
            for offset in ENSEMBLE_SEEDS]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--reverse", action="store_true")
    parser.add_argument("--only", nargs="+", default=None,
                        help="records groups: table1 chapters autoint-input-norm ensemble")
    args = parser.parse_args(argv)
    todo = [(group, config) for seed in args.seeds for group, configs in runs_of_seed(seed)
            for config in configs]
    todo += [(group, config) for seed in args.seeds for group, configs in ensemble_runs(seed)
             for config in configs]
    if args.only:
        todo = [(g, c) for g, c in todo if g in args.only]
    if args.reverse:
        todo.reverse()
    started = time.time()
    for i, (group, config) in enumerate(todo, 1):
        t0 = time.time()
        report = run_sweep([config], HERE / group / "records.jsonl", RUN_ROOT, threads=1)
        what = "recorded" if report.skipped else ("failed" if report.failed else "trained")
        print(f"[{i}/{len(todo)}] {group:<20} {config.label():<40} {what:<9} "
              f"{time.time() - t0:6.0f} s  (total {(time.time() - started) / 3600:.2f} h)",
              flush=True)
        if report.failed:
            print(report.describe(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
