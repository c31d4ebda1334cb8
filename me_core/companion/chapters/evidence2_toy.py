"""Evidence II: the toy experiment of Figure 4 and the gradient decomposition.

Setting (paper appendix): N = 3 fields, D1 = D2 = 100 and D3 "small" (3) or "large" (100);
all 10,000 (x1, x2) pairs, x3 uniform, labels uniform at random (pure noise). Every table starts
i.i.d. N(0, 1); E2 and E3 are frozen and only E1 is trained, by full-batch SGD with learning rate
1 for 5,000 iterations on the mean BCE of sigmoid(h), with the FM interaction
h = sum_{i} sum_{j<i} <e_i, e_j>. K = 10 (the paper only says 3 < K << 100).

Both cases of one seed share E1, E2 and the labels y; only x3 and E3 differ, so the difference in
IA(E1) is caused by the partner field's table alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from me_core.companion.claims import claim
from me_core.metrics import information_abundance
from me_core.stats import Finding, judge, paired_effect

__all__ = [
    "ToyData",
    "make_toy_data",
    "init_tables",
    "fm_logits",
    "train_toy",
    "run_toy",
    "gradient_decomposition",
    "gradient_check",
    "small_partner_collapses",
]


@dataclass(frozen=True)
class ToyData:
    """Indices x (B x 3, int64) and labels y (B, float) of one toy data set."""

    x: torch.Tensor
    y: torch.Tensor
    field_dims: tuple[int, int, int]


def _generator(seed: int, stream: int) -> torch.Generator:
    # independent, reproducible streams per (seed, purpose)
    return torch.Generator().manual_seed(int(seed) * 1_000_003 + stream)


def make_toy_data(D3: int, seed: int = 0, D1: int = 100, D2: int = 100) -> ToyData:
    """All D1 x D2 pairs (x1, x2), x3 ~ Uniform{0..D3-1}, y ~ Uniform{0, 1} (the paper's toy
    setting).

    The labels depend only on ``seed`` (not on D3), so the small and large cases share them.
    """
    if min(D1, D2, D3) < 1:
        raise ValueError(f"field sizes must be >= 1, got D1={D1}, D2={D2}, D3={D3}")
    x1, x2 = torch.meshgrid(torch.arange(D1), torch.arange(D2), indexing="ij")
    x1, x2 = x1.reshape(-1), x2.reshape(-1)
    y = torch.randint(0, 2, (x1.numel(),), generator=_generator(seed, 1)).to(torch.float64)
    x3 = torch.randint(0, D3, (x1.numel(),), generator=_generator(seed, 100 + D3))
    return ToyData(torch.stack([x1, x2, x3], dim=1), y, (D1, D2, D3))


def init_tables(field_dims: Sequence[int], K: int, seed: int = 0) -> list[torch.Tensor]:
    """i.i.d. N(0, 1) tables, float64. Tables of the same size are identical across D3 cases."""
    return [
        torch.randn(D, K, generator=_generator(seed, 10 + i if i < 2 else 200 + D),
                    dtype=torch.float64)
        for i, D in enumerate(field_dims)
    ]


def fm_logits(tables: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """h = sum_i sum_{j<i} <e_i, e_j> for every row of x (B x N)."""
    e = [table[x[:, i]] for i, table in enumerate(tables)]
    total = torch.stack(e).sum(0)
    # sum_{i<j} <e_i, e_j> = (||sum_i e_i||^2 - sum_i ||e_i||^2) / 2
    return 0.5 * (total.pow(2).sum(1) - sum(v.pow(2).sum(1) for v in e))


def train_toy(
    data: ToyData, K: int = 10, iterations: int = 5000, lr: float = 1.0, seed: int = 0,
    record_every: int = 1,
) -> pd.DataFrame:
    """Train E1 by full-batch SGD with E2, E3 frozen; IA(E1) every ``record_every`` iterations.

    Returns a table with columns iteration (0 = at initialisation), ia and loss.
    """
    if iterations < 0 or record_every < 1 or K < 1:
        raise ValueError(
            f"need iterations >= 0, record_every >= 1 and K >= 1, "
            f"got {iterations}, {record_every}, {K}"
        )
    E1, E2, E3 = init_tables(data.field_dims, K, seed)
    E1.requires_grad_(True)
    optimizer = torch.optim.SGD([E1], lr=lr)
    rows = []
    for it in range(iterations + 1):
        h = fm_logits([E1, E2, E3], data.x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(h, data.y)
        if it % record_every == 0 or it == iterations:
            rows.append((it, information_abundance(E1.detach()), loss.item()))
        if it == iterations:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return pd.DataFrame(rows, columns=["iteration", "ia", "loss"])


def run_toy(
    D3_values: Iterable[int] = (3, 100), K: int = 10, iterations: int = 5000,
    seeds: Iterable[int] = (0,), lr: float = 1.0, record_every: int = 1,
) -> pd.DataFrame:
    """Figure 4: IA(E1) against iteration for every D3 and seed (tidy table with D3, seed, K).

    The same training as :func:`train_toy`, for all (seed, D3) cases at once: with E2 and E3
    frozen, h = <e1, e2 + e3> + <e2, e3>, so each case's partner sum P = E2[x2] + E3[x3] and
    constant c = <E2[x2], E3[x3]> are fixed, and the full-batch gradient of the mean BCE is
    dL/dE1[r] = (1/B) sum_{b: x1_b = r} (sigmoid(h_b) - y_b) P_b: a batched gather and
    scatter-add per step instead of one autograd graph per case."""
    if iterations < 0 or record_every < 1 or K < 1:
        raise ValueError(
            f"need iterations >= 0, record_every >= 1 and K >= 1, "
            f"got {iterations}, {record_every}, {K}"
        )
    cases = [(int(seed), int(D3)) for seed in seeds for D3 in D3_values]
    data = [make_toy_data(D3, seed) for seed, D3 in cases]
    tables = [init_tables(d.field_dims, K, seed) for d, (seed, _) in zip(data, cases)]
    E1 = torch.stack([t[0] for t in tables]).clone()  # (R, D1, K)
    x1 = torch.stack([d.x[:, 0] for d in data])  # (R, B)
    e2 = torch.stack([t[1][d.x[:, 1]] for t, d in zip(tables, data)])
    e3 = torch.stack([t[2][d.x[:, 2]] for t, d in zip(tables, data)])
    partner, const = e2 + e3, (e2 * e3).sum(-1)  # (R, B, K), (R, B)
    y = torch.stack([d.y for d in data])
    batch = y.shape[1]
    index = x1[..., None].expand(-1, -1, K)
    rows = []
    for it in range(iterations + 1):
        h = (torch.gather(E1, 1, index) * partner).sum(-1) + const
        if it % record_every == 0 or it == iterations:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                h, y, reduction="none").mean(-1)
            rows += [(it, information_abundance(E1[r]), float(loss[r]), seed, D3)
                     for r, (seed, D3) in enumerate(cases)]
        if it == iterations:
            break
        weight = (torch.sigmoid(h) - y) / batch
        grad = torch.zeros_like(E1).scatter_add_(1, index, weight[..., None] * partner)
        E1 -= lr * grad
    frame = pd.DataFrame(rows, columns=["iteration", "ia", "loss", "seed", "D3"])
    return (frame.assign(K=K).sort_values(["seed", "D3", "iteration"], kind="stable")
            .reset_index(drop=True)[["iteration", "ia", "loss", "D3", "seed", "K"]])


def gradient_decomposition(
    tables: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor, row: int
) -> dict[str, np.ndarray]:
    """The gradient of the mean BCE w.r.t. row ``row`` of E1, by autograd and by Evidence II.

    Evidence II: dL/de_1 = sum_{i>=2} theta_i, theta_i = sum_k alpha_{i,k} sigma_{i,k} v_{i,k},
    alpha_{i,k} = (1/B) sum_{b: x1_b = row} (dl_b/dh_b) u_{i,k}[x_i^(b)], where
    E_i = sum_k sigma_{i,k} u_{i,k} v_{i,k}^T (SVD) and dl/dh = sigmoid(h) - y for BCE.
    Returns ``autograd``, ``spectral`` (both length K) and ``theta`` (one row per field i >= 2).
    """
    tables = [t.detach().to(torch.float64) for t in tables]
    E1 = tables[0].clone().requires_grad_(True)
    h = fm_logits([E1, *tables[1:]], x)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(h, y.to(torch.float64))
    (grad,) = torch.autograd.grad(loss, E1)

    B = x.shape[0]
    dl_dh = (torch.sigmoid(h.detach()) - y.to(torch.float64)).numpy()
    mask = (x[:, 0] == row).numpy()
    thetas = []
    for i, E in enumerate(tables[1:], start=1):
        U, sigma, Vt = np.linalg.svd(E.numpy(), full_matrices=False)
        alpha = (dl_dh[mask, None] * U[x[mask, i].numpy()]).sum(0) / B  # (K,)
        thetas.append((alpha * sigma) @ Vt)
    theta = np.stack(thetas)
    return {"autograd": grad[row].numpy(), "spectral": theta.sum(0), "theta": theta}


def gradient_check(seed: int = 0, dims: Sequence[int] = (20, 15, 5, 30), K: int = 6,
                   B: int = 500) -> dict[str, np.ndarray]:
    """:func:`gradient_decomposition` on a random instance (N(0, 1) tables of ``dims`` x K, B
    random rows and labels), for the row of E1 the first sample uses; adds ``gap``, the largest
    difference between the autograd and the spectral gradient (float64: ~1e-16 when the
    decomposition holds)."""
    g = torch.Generator().manual_seed(seed)
    tables = [torch.randn(D, K, generator=g, dtype=torch.float64) for D in dims]
    x = torch.stack([torch.randint(0, D, (B,), generator=g) for D in dims], dim=1)
    y = torch.randint(0, 2, (B,), generator=g).double()
    check = gradient_decomposition(tables, x, y, row=int(x[0, 0]))
    return {**check, "gap": float(np.abs(check["autograd"] - check["spectral"]).max())}


def small_partner_collapses(curves: pd.DataFrame) -> Finding:
    """Figure 4: at the last iteration, IA(E1) with the smallest partner field D3 minus IA(E1)
    with the largest, paired by seed (the cases of one seed share E1, E2 and the labels); the
    paper's direction is negative. ``curves``: :func:`run_toy`'s frame."""
    last = curves[curves.iteration == curves.iteration.max()]
    small, large = int(last.D3.min()), int(last.D3.max())
    arm = {d: dict(zip(last[last.D3 == d].seed, last[last.D3 == d].ia)) for d in (small, large)}
    effect = paired_effect(arm[small], arm[large])
    start = curves[curves.iteration == 0].ia.mean()
    ours = (f"IA(E1) after {int(last.iteration.iloc[0])} iterations: "
            f"{np.mean(list(arm[small].values())):.2f} (D3 = {small}) vs "
            f"{np.mean(list(arm[large].values())):.2f} (D3 = {large}), from {start:.2f} at "
            f"initialisation; small minus large {effect.text(3)}")
    test = claim("evidence2_toy", "figure4").test("small - large D3")
    return Finding.of_parts([judge(effect, test, "IA(E1) small - large D3")], ours)
