"""float32 vs bfloat16 autocast: training speed and test AUC, paired by seed.

Trains SE DCNv2, ME DCNv2 and SE DNN at two scales (scale 1 is shared by SE and ME), each for
every seed, once in float32 and once under bfloat16 autocast, with the quick book's protocol
(``me_core.settings.QUICK``) on the synthetic benchmark (synthetic data). Prints, per
configuration, the training samples/s of both precisions and their ratio, the test AUC
difference bf16 - fp32 paired by seed (mean ± standard error, n), and the seed spread (standard
deviation over seeds of the fp32 AUC): bf16 is AUC-neutral for a configuration when the paired
difference is within that spread; the last column applies the book's paired rule (a difference
in every seed beyond 2 standard errors counts as real, see ``me_core.stats``). The last line
says whether bf16 passes for all of them and what ``precision=auto`` resolves to on this machine.

Runs are kept in ``--workdir`` (checkpoints and records), so an interrupted benchmark resumes.
Run: python benchmarks/bench_precision.py [--rows 300000] [--scales 1 4] [--seeds 0 1 2]
     [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import torch

from me_core.companion.runs import data_config, grid
from me_core.settings import QUICK
from me_core.stats import equivalence_verdict, paired_effect, seed_spread
from me_core.train import RunConfig, read_records, train
from me_core.train.device import resolve_device
from me_core.train.precision import bf16_speedup, resolve_precision


def _train(payload: tuple[dict, str, str]) -> None:
    config, run_dir, records = payload
    train(RunConfig.from_dict(config), run_dir=run_dir, records=records, threads=1)


def configs(rows: int, scales: list[int], seeds: list[int]) -> list[RunConfig]:
    base = data_config("synthetic", rows=rows, max_epochs=QUICK["max_epochs"],
                       patience=QUICK["patience"], device="cpu")
    runs = grid(base, ["dcnv2"], scales, ["se", "me"], seeds) + \
        grid(base, ["dnn"], scales, ["se"], seeds)
    return [replace(c, precision=p) for c in runs for p in ("fp32", "bf16")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000, help="synthetic rows")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=1, help="runs at a time (1 thread each)")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: print the table of the runs already recorded")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "me-core-bench-precision")
    args = parser.parse_args()
    records = args.workdir / "records.jsonl"
    todo = configs(args.rows, args.scales, args.seeds)
    done = {r["key"] for r in read_records(records)}
    payloads = [(c.to_dict(), str(args.workdir / c.key()), str(records))
                for c in todo if c.key() not in done]
    print(f"{len(todo)} runs, {len(todo) - len(payloads)} already recorded in {records}",
          flush=True)
    if payloads and not args.report_only:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(_train, payloads))

    by_key = {r["key"]: r for r in read_records(records)}
    torch.set_num_threads(1)
    cpu = resolve_device("cpu")
    print(f"\nsynthetic benchmark (synthetic data), {args.rows:,} rows, protocol max_epochs "
          f"{QUICK['max_epochs']}, patience {QUICK['patience']}, 1 thread per run; "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    head = (f"{'config':<16}{'fp32 samples/s':>15}{'bf16 samples/s':>15}{'ratio':>7}"
            f"{'AUC bf16 - fp32 (paired)':>30}{'seed spread':>13}  within  paired rule")
    print(head)
    neutral = []
    for config in todo:
        if config.precision != "fp32" or config.seed != args.seeds[0]:
            continue  # one table row per (model, scale, SE/ME)
        arms = {}
        for precision in ("fp32", "bf16"):
            seeds, speed = {}, []
            for seed in args.seeds:
                record = by_key.get(replace(config, precision=precision, seed=seed).key())
                if record:
                    seeds[seed] = record["test"]["auc"]
                    speed += [h["samples_per_s"] for h in record["history"]]
            arms[precision] = (seeds, sum(speed) / len(speed) if speed else float("nan"))
        effect = paired_effect(arms["bf16"][0], arms["fp32"][0])
        if not effect.n:
            continue
        spread = seed_spread(arms["fp32"][0])
        within = abs(effect.mean) <= spread
        neutral.append(within)
        verdict = ("n < 2" if effect.n < 2 else {
            "reproduced": "neutral (95% interval within ±0.001 AUC)",
            "not reproduced": "differs (beyond ±0.001 AUC)",
            "inconclusive": "not shown neutral"}[equivalence_verdict(effect, 0.001)[0]])
        kind = "ME" if config.multi_embedding else "SE"
        label = f"{config.model} {kind} x{config.scale}"
        ratio = arms["bf16"][1] / arms["fp32"][1]
        print(f"{label:<16}{arms['fp32'][1]:15,.0f}{arms['bf16'][1]:15,.0f}{ratio:7.2f}"
              f"{effect.text(5):>30}{spread:13.5f}  {'yes' if within else 'no':<7} {verdict}")
    print(f"\nbf16 within the seed spread for {sum(neutral)} of {len(neutral)} configurations; "
          f"bf16 matmul speed-up on this CPU {bf16_speedup(cpu):.2f}x: precision=auto -> "
          f"{resolve_precision('auto', cpu)}")


if __name__ == "__main__":
    main()
