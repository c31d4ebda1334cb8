"""The real-data run records (results/README.md): MovieLens-100k, NYC flights 2013 and InstEval
(lecture ratings at ETH), the three real tables that ship with the project through registry
packages, seeds 0-4.

Per data set and seed: DCNv2 and DNN, SE and ME, at scales 1, 2 and 4 (Table 1, Fig. 1a, 2,
6, 8, 15, 17b), the regularised DCNv2 (Evidence III, Fig. 5), and the ensemble control's extra
base models (seeds s + 5, s + 10, s + 15). Same protocol as the synthetic records (the book's
quick protocol, one torch thread per run). Finished runs are skipped, so it resumes; a second
process with ``--reverse`` shares the work (per-run lock). Checkpoints stay in ``runs/real``
for the weight analyses (``results/real/analyse.py``).

    python results/real/sweep.py [--seeds 0 1 2 3 4] [--reverse]
        [--datasets movielens flights insteval]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from me_core.companion.ensemble import MEMBER_OFFSETS  # noqa: E402
from me_core.settings import protocol_settings  # noqa: E402
from me_core.train.config import RunConfig  # noqa: E402
from me_core.train.sweep import run_sweep  # noqa: E402

HERE = Path(__file__).resolve().parent
RUN_ROOT = ROOT / "runs" / "real"
DATASETS = ("movielens", "flights", "insteval")
MODELS = ("dcnv2", "dnn")
SCALES = (1, 2, 4)


def base(dataset: str) -> RunConfig:
    settings = protocol_settings("quick")
    settings.pop("rows")  # synthetic data only
    return RunConfig(dataset=dataset, **settings)


def grid(dataset, models, scales, embeddings=("se", "me"), seed=0) -> list[RunConfig]:
    out, seen = [], set()
    for model in models:
        for scale in scales:
            for kind in embeddings:
                config = replace(base(dataset), model=model, scale=scale, seed=seed,
                                 multi_embedding=kind == "me" and scale > 1)
                if config.key() not in seen:
                    seen.add(config.key())
                    out.append(config)
    return out


def runs_of_seed(dataset: str, seed: int) -> list[RunConfig]:
    return [*grid(dataset, MODELS, SCALES, seed=seed),
            *grid(dataset, ["dcnv2_reg"], SCALES, ["se"], seed=seed),
            *[c for offset in MEMBER_OFFSETS[1:]
              for c in grid(dataset, MODELS, [1], ["se"], seed=seed + offset)]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--reverse", action="store_true")
    args = parser.parse_args(argv)
    todo = [(d, c) for seed in args.seeds for d in args.datasets for c in runs_of_seed(d, seed)]
    if args.reverse:
        todo.reverse()
    started = time.time()
    for i, (dataset, config) in enumerate(todo, 1):
        t0 = time.time()
        report = run_sweep([config], HERE / dataset / "records.jsonl", RUN_ROOT, threads=1)
        what = "recorded" if report.skipped else ("failed" if report.failed else "trained")
        print(f"[{i}/{len(todo)}] {config.label():<40} {what:<9} {time.time() - t0:6.0f} s  "
              f"(total {(time.time() - started) / 3600:.2f} h)", flush=True)
        if report.failed:
            print(report.describe(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
