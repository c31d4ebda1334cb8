"""Evidence II: toy data as specified, the gradient decomposition, and the collapse it predicts."""

import numpy as np
import pytest
import torch

from me_core.companion.chapters import evidence2_toy as toy


def test_toy_data_is_the_papers_design():
    small, large = toy.make_toy_data(3, seed=5), toy.make_toy_data(100, seed=5)
    assert small.x.shape == (10_000, 3)
    pairs = {(int(a), int(b)) for a, b in small.x[:, :2]}
    assert len(pairs) == 10_000  # every (x1, x2) pair exactly once
    assert set(small.x[:, 2].tolist()) == {0, 1, 2}
    assert int(large.x[:, 2].max()) <= 99
    assert torch.equal(small.y, large.y)  # labels shared by both cases of a seed
    assert 0.45 < float(small.y.mean()) < 0.55  # uniform noise labels
    E_small = toy.init_tables(small.field_dims, 10, seed=5)
    E_large = toy.init_tables(large.field_dims, 10, seed=5)
    assert torch.equal(E_small[0], E_large[0]) and torch.equal(E_small[1], E_large[1])


def test_fm_logits_match_pairwise_loop():
    g = torch.Generator().manual_seed(1)
    tables = [torch.randn(D, 4, generator=g, dtype=torch.float64) for D in (7, 5, 3, 9)]
    x = torch.stack([torch.randint(0, D, (50,), generator=g) for D in (7, 5, 3, 9)], dim=1)
    expected = torch.zeros(50, dtype=torch.float64)
    for i in range(4):
        for j in range(i):
            expected += (tables[i][x[:, i]] * tables[j][x[:, j]]).sum(1)
    torch.testing.assert_close(toy.fm_logits(tables, x), expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spectral_gradient_equals_autograd(seed):
    g = torch.Generator().manual_seed(seed)
    dims = [12, 30, 4, 8]
    tables = [torch.randn(D, 6, generator=g, dtype=torch.float64) for D in dims]
    x = torch.stack([torch.randint(0, D, (400,), generator=g) for D in dims], dim=1)
    y = torch.randint(0, 2, (400,), generator=g).double()
    for row in range(dims[0]):
        result = toy.gradient_decomposition(tables, x, y, row)
        np.testing.assert_allclose(result["spectral"], result["autograd"], atol=1e-13)
        assert result["theta"].shape == (3, 6)


@pytest.mark.slow
def test_small_partner_collapses_first_field():
    """The paper's Figure 4 effect, already visible after 300 of its 5,000 iterations."""
    curves = toy.run_toy(D3_values=(3, 100), K=10, iterations=300, seeds=(1, 2),
                         record_every=300)
    final = curves[curves.iteration == 300].pivot(index="seed", columns="D3", values="ia")
    start = curves[curves.iteration == 0].ia
    assert (final[3] < final[100]).all()
    assert (final[3].to_numpy() < start.iloc[0]).all()


def test_batched_toy_equals_one_autograd_run_per_case():
    """run_toy trains every (seed, D3) case at once with the closed-form gradient; it must give
    what train_toy (autograd, one case at a time) gives."""
    batched = toy.run_toy(D3_values=(3, 100), K=6, iterations=40, seeds=(0, 7), record_every=8)
    for (seed, D3), part in batched.groupby(["seed", "D3"]):
        one = toy.train_toy(toy.make_toy_data(D3, seed), 6, 40, 1.0, seed, 8)
        np.testing.assert_allclose(part.ia.to_numpy(), one.ia.to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(part.loss.to_numpy(), one.loss.to_numpy(), rtol=1e-9)
        assert list(part.iteration) == list(one.iteration)


def test_bad_toy_arguments():
    with pytest.raises(ValueError, match="field sizes"):
        toy.make_toy_data(0)
    with pytest.raises(ValueError, match="iterations"):
        toy.train_toy(toy.make_toy_data(3), iterations=-1)
