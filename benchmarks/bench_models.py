"""Training-step throughput of our models vs a reference that loops over sets like the official
code.

Setting (issue "Models", item 6): CPU, batch 2048, 39 fields with Criteo-like cardinalities
(Table 4 extremes, scaled by --cardinality-scale to fit memory), Adam (lr 1e-3, wd 1e-6).
Configurations: SE DCNv2 K = 10 and K = 100, ME DCNv2 10 x 10, SE DNN K = 100, ME DNN 10 x 10.
The reference is written here, after thuml/Multi-Embedding: one nn.Embedding per set, one
CrossNetV2 (nn.Linear per layer) and first MLP layer per set in a Python loop, stacked and
averaged, shared rest of the MLP, default Adam. Both sides compute the same function.

Prints samples/s for both and their ratio, and for DCNv2 the achieved GFLOP/s of the step
(matmul flops counted analytically) next to a plain matmul's GFLOP/s measured in the same run.
Run: python benchmarks/bench_models.py [--threads 2] [--steps 3] [--skip-large]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from me_core.data import CRITEO_LIKE_CARDINALITIES
from me_core.models import build
from me_core.optim import paper_optimizer

BATCH = 2048


# --- the reference: a loop over sets, as in the official code --------------------------------
class LoopCrossNet(nn.Module):
    def __init__(self, width: int, layers: int = 4):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))

    def forward(self, x0):
        x = x0
        for linear in self.linears:
            x = x0 * linear(x) + x
        return x


class LoopModel(nn.Module):
    def __init__(self, field_dims, embed_dim, num_sets, kind):
        super().__init__()
        width = len(field_dims) * embed_dim
        self.register_buffer("offsets", torch.tensor([0, *field_dims[:-1]]).cumsum(0))
        self.embeddings = nn.ModuleList(nn.Embedding(sum(field_dims), embed_dim)
                                        for _ in range(num_sets))
        for emb in self.embeddings:
            nn.init.xavier_uniform_(emb.weight)
        self.crosses = nn.ModuleList(LoopCrossNet(width) if kind == "dcnv2" else nn.Identity()
                                     for _ in range(num_sets))
        self.firsts = nn.ModuleList(nn.Sequential(nn.Linear(width, 400), nn.BatchNorm1d(400),
                                                  nn.ReLU(), nn.Dropout(0.2))
                                    for _ in range(num_sets))
        self.rest = nn.Sequential(nn.Linear(400, 400), nn.BatchNorm1d(400), nn.ReLU(),
                                  nn.Dropout(0.2), nn.Linear(400, 1))

    def forward(self, x):
        x = x + self.offsets
        outs = [first(cross(emb(x).flatten(1)))
                for emb, cross, first in zip(self.embeddings, self.crosses, self.firsts)]
        return self.rest(torch.stack(outs).mean(0)).squeeze(1)


def time_steps(model, optimizer, x, y, steps):
    loss_fn = nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        if hasattr(model, "regularization_loss"):
            loss = loss + model.regularization_loss()
        loss.backward()
        optimizer.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def dcnv2_step_flops(N, K, M, layers=4, hidden=400):
    width = N * K
    per_sample = M * (layers * 2 * width * width + 2 * width * hidden) + 2 * hidden * hidden
    return 3 * BATCH * per_sample  # forward + two backward matmuls


def matmul_gflops(width, repeats=3):
    a, b = torch.randn(BATCH, width), torch.randn(width, width)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * BATCH * width * width * repeats / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--cardinality-scale", type=float, default=1.0,
                        help="multiply the Criteo-like cardinalities (1.0: sum 1.09M rows)")
    parser.add_argument("--skip-large", action="store_true", help="skip SE K = 100 configs")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    dims = [max(2, int(d * args.cardinality_scale)) for d in CRITEO_LIKE_CARDINALITIES]
    x = torch.stack([torch.randint(0, d, (BATCH,)) for d in dims], 1).to(device)
    y = torch.randint(0, 2, (BATCH,)).float().to(device)
    N = len(dims)
    configs = [("dcnv2", 1, 10, False), ("dcnv2", 10, 10, True), ("dnn", 10, 10, True),
               ("dcnv2", 1, 100, False), ("dnn", 1, 100, False)]
    if args.skip_large:
        configs = [c for c in configs if c[2] == 10]
    print(f"device={device}, threads={args.threads}, batch={BATCH}, fields={N}, "
          f"sum of cardinalities={sum(dims):,}")
    print(f"{'config':<22}{'ours samples/s':>16}{'loop ref samples/s':>20}{'ratio':>8}"
          f"{'ours GFLOP/s':>14}{'matmul GFLOP/s':>16}")
    for kind, M, K, multi in configs:
        scale = M if multi else K // 10
        ours = build(kind, dims, scale=scale, multi_embedding=multi).to(device)
        steps = args.steps if K == 10 else max(1, args.steps // 2)
        t_ours = time_steps(ours, paper_optimizer(ours), x, y, steps)
        ref = LoopModel(dims, K, M, kind).to(device)
        t_ref = time_steps(ref, torch.optim.Adam(ref.parameters(), lr=1e-3, weight_decay=1e-6),
                           x, y, steps)
        label = f"{'ME' if multi else 'SE'} {kind} " + (f"{M}x{K}" if multi else f"K={K}")
        flops = ""
        if kind == "dcnv2":
            achieved = dcnv2_step_flops(N, K, M) / t_ours / 1e9
            flops = f"{achieved:14.1f}{matmul_gflops(N * K):16.1f}"
        print(f"{label:<22}{BATCH / t_ours:16.0f}{BATCH / t_ref:20.0f}{t_ref / t_ours:8.2f}{flops}",
              flush=True)
        del ours, ref


if __name__ == "__main__":
    main()
