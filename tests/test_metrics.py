"""Spectral metrics: known spectra, invariances and the appendix identity (Definition 1, set
similarity)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from me_core import metrics as M

rng = np.random.default_rng(0)


def random_orthonormal(D: int, K: int, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, K)))
    return q


def test_identity_has_abundance_k():
    for K in (1, 3, 10):
        assert M.information_abundance(np.eye(K)) == pytest.approx(K, rel=1e-12)
    # a tall isometry too (Gram route)
    assert M.information_abundance(random_orthonormal(500, 8)) == pytest.approx(8, rel=1e-10)


def test_rank_one_has_abundance_one():
    E = np.outer(rng.standard_normal(200), rng.standard_normal(12))
    assert M.information_abundance(E) == pytest.approx(1.0, abs=1e-6)


def test_equal_singular_values_give_rank():
    U = random_orthonormal(300, 5, seed=1)
    V = random_orthonormal(5, 5, seed=2)
    E = 3.0 * U @ V.T  # five equal singular values 3
    assert M.information_abundance(E) == pytest.approx(5.0, rel=1e-10)
    assert M.normalized_information_abundance(E) == pytest.approx(1.0, rel=1e-10)


def test_invariances():
    E = rng.standard_normal((400, 10)) @ np.diag(np.linspace(0.1, 3, 10))
    base = M.information_abundance(E)
    assert M.information_abundance(7.5 * E) == pytest.approx(base, rel=1e-10)
    assert M.information_abundance(E[rng.permutation(400)]) == pytest.approx(base, rel=1e-10)
    R = random_orthonormal(10, 10, seed=3)
    assert M.information_abundance(E @ R) == pytest.approx(base, rel=1e-10)
    assert 1.0 <= base <= 10.0


@pytest.mark.parametrize("shape", [(2000, 10), (5000, 64), (300, 40), (30, 20), (20, 30)])
def test_singular_values_match_numpy_svd(shape):
    E = np.random.default_rng(4).standard_normal(shape)
    ours = M.singular_values(E)
    ref = np.linalg.svd(E, compute_uv=False)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)
    assert M.information_abundance(E) == pytest.approx(ref.sum() / ref.max(), rel=1e-8)


def test_torch_and_float32_inputs():
    E = torch.randn(3000, 16, generator=torch.Generator().manual_seed(0))
    ref = np.linalg.svd(E.double().numpy(), compute_uv=False)
    np.testing.assert_allclose(M.singular_values(E), ref, rtol=1e-8)
    np.testing.assert_allclose(M.singular_values(E.numpy()), ref, rtol=1e-8)
    assert M.singular_values(E).dtype == np.float64


def test_normalized_singular_values():
    E = np.diag([4.0, 2.0, 1.0])
    np.testing.assert_allclose(M.normalized_singular_values(E), [1.0, 0.5, 0.25])
    assert M.normalized_singular_values(E).sum() == pytest.approx(M.information_abundance(E))


def test_multi_embedding_sets_are_concatenated():
    A, B = random_orthonormal(200, 4, seed=5), random_orthonormal(200, 4, seed=6)
    assert M.information_abundance([A, B]) == pytest.approx(
        M.information_abundance(np.hstack([A, B])), rel=1e-12
    )
    # identical sets add nothing: IA stays K
    assert M.information_abundance([A, A]) == pytest.approx(4.0, rel=1e-9)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones(5), "2-D"),
        (np.ones((0, 3)), "empty"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN or inf"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "NaN or inf"),
        (np.zeros((10, 3)), "all zeros"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_tables_raise_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        M.information_abundance(bad)


def test_similarity_bad_input():
    with pytest.raises(ValueError, match="same number of rows"):
        M.embedding_set_similarity(np.ones((5, 2)), np.ones((6, 2)))
    with pytest.raises(ValueError, match="all zeros"):
        M.embedding_set_similarity(np.zeros((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="same number of rows"):
        M.concatenate_sets([np.ones((5, 2)), np.ones((6, 2))])


def test_similarity_matches_scipy_subspace_angles():
    g = np.random.default_rng(7)
    for D, Ka, Kb in [(100, 5, 5), (60, 3, 7), (1000, 10, 10)]:
        A, B = g.standard_normal((D, Ka)), g.standard_normal((D, Kb))
        angles = scipy.linalg.subspace_angles(A, B)
        assert M.embedding_set_similarity(A, B) == pytest.approx(np.cos(angles).mean(), abs=1e-10)
        assert M.embedding_set_diversity(A, B) == pytest.approx(
            1 - np.cos(angles).mean(), abs=1e-10
        )


def test_similarity_extremes():
    A = rng.standard_normal((50, 4))
    assert M.embedding_set_similarity(A, A @ random_orthonormal(4, 4, seed=8)) == pytest.approx(1.0)
    Q = random_orthonormal(50, 8, seed=9)
    assert M.embedding_set_similarity(Q[:, :4], Q[:, 4:]) == pytest.approx(0.0, abs=1e-12)
    assert M.embedding_set_diversity(Q[:, :4], Q[:, 4:]) == pytest.approx(1.0, abs=1e-12)


def test_appendix_identity_for_two_isometric_sets():
    """IA([U1, U2]) = sum_k (sqrt(1+cos phi_k) + sqrt(1-cos phi_k)) / sqrt(1+cos phi_1)."""
    g = np.random.default_rng(10)
    D, K = 80, 6
    for mix in (0.0, 0.3, 0.8, 1.0):
        U1 = random_orthonormal(D, K, seed=11)
        W = mix * U1 + (1 - mix) * g.standard_normal((D, K))  # partly aligned second set
        U2 = random_orthonormal(D, K, seed=12) if mix == 0.0 else np.linalg.qr(W)[0]
        cos = M.principal_angle_cosines(U1, U2)
        expected = (np.sqrt(1 + cos) + np.sqrt(1 - cos)).sum() / np.sqrt(1 + cos[0])
        assert M.information_abundance([U1, U2]) == pytest.approx(expected, rel=1e-6)
        assert K - 1e-6 <= M.information_abundance([U1, U2]) <= 2 * K + 1e-6


# --- recovered dimensions of a known truth (the synthetic benchmark's ground truth) -------
def _truth(D: int = 400, r: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((D, r))


def test_a_table_equal_to_the_truth_up_to_an_invertible_map_recovers_everything():
    from me_core.metrics import recovered_dimensions

    truth = _truth()
    mixed = truth @ np.random.default_rng(1).standard_normal((12, 12)) + 5.0  # and a shift
    score = recovered_dimensions(mixed, truth)
    assert score.recovered == pytest.approx(12.0, abs=1e-8) and score.above_half == 12
    assert score.room == 12 and score.truth_rank == 12
    # K < r: the first K directions of the truth, all of them held
    part = recovered_dimensions(truth[:, :5] @ np.diag([10, 1, 0.1, 0.01, 0.001]), truth)
    assert part.recovered == pytest.approx(5.0, abs=1e-8) and part.room == 5


def test_random_and_rank_one_tables_recover_little():
    from me_core.metrics import recovered_dimensions

    truth = _truth(D=2000, r=20)
    chance = [recovered_dimensions(np.random.default_rng(s).standard_normal((2000, 10)),
                                   truth).recovered for s in range(20)]
    assert np.mean(chance) == pytest.approx(10 * 20 / 2000, rel=0.35)  # about K r / D
    rank_one = np.outer(truth @ np.ones(20), np.ones(8))
    assert recovered_dimensions(rank_one, truth).recovered <= 1.0 + 1e-9


def test_recovery_weights_rows_and_refuses_bad_input():
    from me_core.metrics import recovered_dimensions

    truth = _truth(D=300, r=4)
    table = truth.copy()
    table[200:] = np.random.default_rng(3).standard_normal((100, 4))  # wrong rows ...
    weights = np.r_[np.ones(200), np.zeros(100)]  # ... that weigh nothing
    assert recovered_dimensions(table, truth, weights).recovered == pytest.approx(4.0)
    assert recovered_dimensions(table, truth).recovered < 4.0
    sets = [truth[:, :2], truth[:, 2:]]  # a field's embedding sets, concatenated
    assert recovered_dimensions(sets, truth).recovered == pytest.approx(4.0)
    with pytest.raises(ValueError, match="same rows"):
        recovered_dimensions(truth[:10], truth)
    with pytest.raises(ValueError, match="weights"):
        recovered_dimensions(truth, truth, -np.ones(300))
