"""End-to-end training throughput (data loading included) beside model-only step throughput.

On a generated Criteo-format file (SYNTHETIC values, real format and preprocessing), for SE
DCNv2 K = 10 and ME DCNv2 10 x 10: (a) model-only: training steps on one pre-built batch
(as benchmarks/bench_models.py); (b) end-to-end: one epoch of ``me_core.train.train`` on the
training split, batches gathered from the cached data by the BatchLoader. The ratio b / a shows
the data path's overhead. Samples/s, batch 2048, Adam as in the paper.
Run: python benchmarks/bench_train.py [--lines 300000] [--threads 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_models import time_steps  # noqa: E402

from me_core.data import BatchLoader, preprocess_criteo  # noqa: E402
from me_core.data.generate import write_criteo_format  # noqa: E402
from me_core.models import build  # noqa: E402
from me_core.optim import paper_optimizer  # noqa: E402
from me_core.train import RunConfig, train  # noqa: E402
from me_core.train.device import resolve_device  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "me-core-bench")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    path = args.workdir / f"criteo_like_{args.lines}.txt"
    if not path.exists():
        write_criteo_format(path, args.lines, seed=0)
    data = preprocess_criteo(path, cache_dir=args.workdir / "cache", progress=False)
    dims = data.feature_map.field_dims
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device={device} ({name}), "
          f"threads={args.threads}, {args.lines:,} lines, {len(dims)} fields, "
          f"sum of cardinalities {sum(dims):,}, batch 2048")
    print(f"{'config':<18}{'model-only samples/s':>22}{'end-to-end samples/s':>22}"
          f"{'e2e / model-only':>18}{'epoch incl. valid (s)':>23}")
    loader = BatchLoader(data, data.split("train")[:2048], 2048, device=device)
    x, y = next(iter(loader))
    for label, scale, multi in (("SE DCNv2 K=10", 1, False), ("ME DCNv2 10x10", 10, True)):
        torch.manual_seed(0)
        model = build("dcnv2", dims, scale=scale, multi_embedding=multi).to(device)
        seconds = time_steps(model, paper_optimizer(model), x, y, args.steps)
        if device.type == "cuda":
            torch.cuda.synchronize()
        model_only = 2048 / seconds
        config = RunConfig(model="dcnv2", dataset="criteo", data_path=str(path), scale=scale,
                           multi_embedding=multi, max_epochs=1, device=str(device))
        start = time.perf_counter()
        record = train(config, data=data, threads=args.threads).record
        wall = time.perf_counter() - start
        e2e = record["history"][0]["samples_per_s"]
        print(f"{label:<18}{model_only:22,.0f}{e2e:22,.0f}{e2e / model_only:18.2f}{wall:23.1f}",
              flush=True)


if __name__ == "__main__":
    main()
