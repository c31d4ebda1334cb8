"""The paper's setting end to end on one accelerator: data, SE/ME DCNv2, fp32 and bf16.

One command, sized to finish in under 10 minutes on one GPU (defaults), or in seconds on CPU at a
tiny size (``--device cpu --lines 3000 --batch-size 256 --precisions fp32 --steps 1``, run by
the tests; bfloat16 on a CPU without bfloat16 units is emulated and many times slower):

1. a generated Criteo-format file (SYNTHETIC values, the real format: 13 integer and 26
   categorical fields) is preprocessed by ``me_core`` (seconds and lines/s printed);
2. for SE DCNv2 K = 10 and ME DCNv2 10 x 10 (the paper's section 4.1 models), in float32 and in
   bfloat16 autocast: the *model-only* step rate of our model and of a reference that loops over
   the sets like the official code (``bench_models.LoopModel``, same function), timed on the same
   batch already on the device; then the *end-to-end* run of ``me_core.train.train`` with the
   paper's protocol (Adam, batch 2048, the official 8:1:1 split, the data moved to the device
   when it fits) capped at ``--epochs`` epochs, with its samples/s, test AUC and peak device
   memory.

Prints one table and, with ``--out FOLDER``, writes ``gpu_check.json`` there with provenance
(git commit, packages, device name, the command). A GPU run's figures belong in
``results/gpu-check/``.
Run: python benchmarks/gpu_check.py [--device cuda] [--lines 4000000] [--epochs 2] [--out DIR]
(after ``pip install -e .``, which builds me_core's C extension; a bare copy of the tree
without it stops at the import with that instruction).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_models import LoopModel  # noqa: E402

from me_core.data import BatchLoader, preprocess_criteo  # noqa: E402
from me_core.data.generate import write_criteo_format  # noqa: E402
from me_core.files import atomic_write_text  # noqa: E402
from me_core.models import build  # noqa: E402
from me_core.optim import paper_optimizer  # noqa: E402
from me_core.settings import PAPER  # noqa: E402
from me_core.train import RunConfig, train  # noqa: E402
from me_core.train.device import resolve_device  # noqa: E402
from me_core.train.precision import autocast  # noqa: E402
from me_core.train.provenance import provenance  # noqa: E402

CONFIGS = (("SE DCNv2 K=10", 1, False), ("ME DCNv2 10x10", 10, True))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_rate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int,
              precision: str, optimizer: torch.optim.Optimizer) -> float:
    """Training steps per second on one batch (one warm-up step first)."""
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast(x.device, precision):
            logits = model(x)
        loss_fn(logits.float(), y).backward()
        optimizer.step()

    step()
    _sync(x.device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(x.device)
    return steps / (time.perf_counter() - start)


def run_check(device_name: str, lines: int, epochs: int, steps: int, workdir: Path,
              threads: int, batch: int = PAPER["batch_size"],
              precisions: tuple[str, ...] = ("fp32", "bf16")) -> dict:
    torch.set_num_threads(threads)
    device = resolve_device(device_name)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"criteo_like_{lines}.txt"
    if not path.exists():
        write_criteo_format(path.with_suffix(".partial"), lines, seed=0)
        path.with_suffix(".partial").rename(path)
    start = time.perf_counter()
    data = preprocess_criteo(path, cache_dir=workdir / "cache", rebuild=True, progress=False)
    preprocess_s = time.perf_counter() - start
    dims = data.feature_map.field_dims
    x, y = next(iter(BatchLoader(data, data.split("train")[:batch], batch, device=device)))
    result = {"device": str(device), "device_name": (torch.cuda.get_device_name(device)
                                                     if device.type == "cuda" else "CPU"),
              "lines": lines, "fields": len(dims), "sum_cardinalities": int(sum(dims)),
              "preprocess_s": preprocess_s, "batch_size": batch, "max_epochs": epochs,
              "runs": []}
    for label, scale, multi in CONFIGS:
        for precision in precisions:
            torch.manual_seed(0)
            model = build("dcnv2", dims, scale=scale, multi_embedding=multi).to(device)
            ours = step_rate(model, x, y, steps, precision, paper_optimizer(model))
            torch.manual_seed(0)  # the official code's model and its default (unfused) Adam
            reference = LoopModel(dims, 10, scale if multi else 1, "dcnv2").to(device)
            loop = step_rate(reference, x, y, steps, precision, torch.optim.Adam(
                reference.parameters(), lr=1e-3, weight_decay=1e-6))
            del model, reference
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            config = RunConfig(model="dcnv2", dataset="criteo", data_path=str(path), scale=scale,
                               multi_embedding=multi, max_epochs=epochs,
                               patience=PAPER["patience"], batch_size=batch,
                               precision=precision, device=str(device))
            begin = time.perf_counter()
            record = train(config, data=data, threads=threads).record
            result["runs"].append({
                "config": label, "precision": precision,
                "model_only_samples_per_s": ours * batch,
                "loop_reference_samples_per_s": loop * batch,
                "end_to_end_samples_per_s": max(h["samples_per_s"] for h in record["history"]),
                "epochs": len(record["history"]), "wall_s": time.perf_counter() - begin,
                "test_auc": record["test"]["auc"],
                "peak_memory_mib": (torch.cuda.max_memory_allocated(device) / 2**20
                                    if device.type == "cuda" else None)})
    return result


def print_table(result: dict) -> None:
    print(f"{result['device_name']} ({result['device']}), {result['lines']:,} generated "
          f"Criteo-format lines (synthetic values), {result['fields']} fields, sum of "
          f"cardinalities {result['sum_cardinalities']:,}; preprocessing "
          f"{result['preprocess_s']:.1f} s ({result['lines'] / result['preprocess_s']:,.0f} "
          f"lines/s); batch {result['batch_size']}, at most {result['max_epochs']} epoch(s)")
    print(f"{'config':<16}{'prec':>5}{'ours step':>12}{'loop ref':>11}{'ours/loop':>10}"
          f"{'end-to-end':>12}{'test AUC':>9}{'peak MiB':>10}{'wall s':>8}")
    for run in result["runs"]:
        memory = run["peak_memory_mib"]
        print(f"{run['config']:<16}{run['precision']:>5}"
              f"{run['model_only_samples_per_s']:12,.0f}{run['loop_reference_samples_per_s']:11,.0f}"
              f"{run['model_only_samples_per_s'] / run['loop_reference_samples_per_s']:10.2f}"
              f"{run['end_to_end_samples_per_s']:12,.0f}{run['test_auc']:9.4f}"
              f"{'-' if memory is None else f'{memory:,.0f}':>10}{run['wall_s']:8.1f}")
    print("samples/s; 'ours step' and 'loop ref': model-only training steps on one batch on the "
          "device; 'end-to-end': the best epoch of the training run, data loading included")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto (default)")
    parser.add_argument("--lines", type=int, default=4_000_000)
    parser.add_argument("--epochs", type=int, default=2, help="cap on the paper's protocol")
    parser.add_argument("--steps", type=int, default=50, help="timed model-only steps")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads")
    parser.add_argument("--batch-size", type=int, default=PAPER["batch_size"],
                        help="the paper's 2048 unless testing at a tiny size")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"],
                        choices=["fp32", "bf16"])
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "me-core-gpu-check")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for gpu_check.json (e.g. results/gpu-check)")
    args = parser.parse_args(argv)
    result = run_check(args.device, args.lines, args.epochs, args.steps, args.workdir,
                       args.threads, args.batch_size, tuple(args.precisions))
    print_table(result)
    if args.out is not None:
        result["provenance"] = provenance(resolve_device(args.device))
        args.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out / "gpu_check.json", json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out / 'gpu_check.json'}")
    return result


if __name__ == "__main__":
    main()
