"""Weight analyses of the B1 run records (results/README.md): the full analyses of the runs
the chapters analyse (``analyses/analyses.jsonl``: spectra, sub-embedding IA, set diversity,
interaction patterns, each with the run's random initialisation and the ground-truth scores),
the light ones of every run (``truth/analyses.jsonl``: the fields' IA and recovered
dimensions of the teacher's truth, learned and initial), and the ensemble control's test AUC
(``ensemble/ensembles.jsonl``: M = 2 and 4 base SE models per seed, logits averaged, from the
members' checkpoints). Finished runs of the sweep's run root
(``results/b1/sweep.py`` keeps them) are analysed once; analysed keys are skipped, so it
resumes.

    python results/b1/analyse.py [--run-root runs/b1] [--light-only]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from me_core.companion.ensemble import ensemble_records  # noqa: E402
from me_core.companion.weights import analyse_runs, finished_runs  # noqa: E402
from me_core.runtime import configure_threads  # noqa: E402

HERE = Path(__file__).resolve().parent
#: (model, SE/ME, scale) of the runs whose weights the chapters analyse in full, every seed
FULL = {("dcnv2", False, 1), ("dcnv2", False, 2), ("dcnv2", False, 4), ("dcnv2", True, 2),
        ("dcnv2", True, 4), ("dcnv2_reg", False, 4), ("ffm", False, 1),
        ("dcnv2_shared", True, 4), ("dcnv2_aligned", True, 4)}


def analysed_in_full(config: dict) -> bool:
    return (config["model"], config["multi_embedding"], config["scale"]) in FULL \
        and config["fraction"] == 1.0 and not config["model_options"] and config["seed"] < 5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-root", type=Path, default=ROOT / "runs" / "b1")
    parser.add_argument("--light-only", action="store_true")
    args = parser.parse_args(argv)
    configure_threads()
    runs = list(finished_runs(args.run_root))
    full = [r for r in runs
            if analysed_in_full(json.loads((r / "record.json").read_text())["config"])]
    done = analyse_runs(runs, HERE / "truth" / "analyses.jsonl", truth_only=True)
    print(f"light analyses: {done[0]} new, {done[1]} already there", flush=True)
    if not args.light_only:
        done = analyse_runs(full, HERE / "analyses" / "analyses.jsonl")
        print(f"full analyses: {done[0]} new, {done[1]} already there", flush=True)
        sys.path.insert(0, str(HERE))
        from sweep import ENSEMBLE_MODELS, grid  # the records' own grid

        bases = [c for seed in range(5) for c in grid(ENSEMBLE_MODELS, [1], ["se"], seed=seed)]
        added = ensemble_records(bases, (2, 4), args.run_root,
                                 HERE / "ensemble" / "ensembles.jsonl")
        print(f"ensembles: {added} new", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
