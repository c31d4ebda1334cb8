"""Weight analyses of the real-data run records (results/README.md): the full analyses of
DCNv2 SE at every size and ME at 2x and 4x (``analyses/analyses.jsonl``), the light ones of
every run (``truth/analyses.jsonl``: the fields' IA, learned and initial; real data has no
known truth), and the ensemble control's test AUC per data set
(``<data set>/ensembles.jsonl``), from the finished runs that ``results/real/sweep.py`` keeps
in ``runs/real``. Analysed keys are skipped, so it resumes.

    python results/real/analyse.py [--run-root runs/real]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(HERE)]

from sweep import DATASETS, MODELS, grid  # noqa: E402  (the records' own grid)

from me_core.companion.ensemble import ensemble_records  # noqa: E402
from me_core.companion.weights import analyse_runs, finished_runs  # noqa: E402
from me_core.runtime import configure_threads  # noqa: E402

FULL = {("dcnv2", False, 1), ("dcnv2", False, 2), ("dcnv2", False, 4), ("dcnv2", True, 2),
        ("dcnv2", True, 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-root", type=Path, default=ROOT / "runs" / "real")
    args = parser.parse_args(argv)
    configure_threads()
    runs = list(finished_runs(args.run_root))
    configs = {r: json.loads((r / "record.json").read_text())["config"] for r in runs}
    full = [r for r, c in configs.items() if (c["model"], c["multi_embedding"], c["scale"])
            in FULL and c["seed"] < 5]
    done = analyse_runs(runs, HERE / "truth" / "analyses.jsonl", truth_only=True)
    print(f"light analyses: {done[0]} new, {done[1]} already there", flush=True)
    done = analyse_runs(full, HERE / "analyses" / "analyses.jsonl")
    print(f"full analyses: {done[0]} new, {done[1]} already there", flush=True)
    for dataset in DATASETS:
        bases = [c for seed in range(5) for c in grid(dataset, MODELS, [1], ["se"], seed=seed)]
        added = ensemble_records(bases, (2, 4), args.run_root,
                                 HERE / dataset / "ensembles.jsonl")
        print(f"{dataset} ensembles: {added} new", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
