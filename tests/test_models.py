"""Models: shapes, SE/ME equivalences, the appendix's linear-interaction identities,
regularisers, hooks, registry."""

import itertools
import math

import pytest
import torch

from me_core.data import CRITEO_LIKE_CARDINALITIES
from me_core.models import MODEL_NAMES, build, interactions
from me_core.models.dcnv2 import DCNv2
from me_core.models.parts import FusedEmbedding

FIELD_DIMS = [5, 20, 3, 100, 7, 2]


def batch(n=64, dims=FIELD_DIMS, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randint(0, d, (n,), generator=g) for d in dims], dim=1)


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("scale", [1, 2])
def test_every_model_gives_finite_logits_and_trains(name, multi, scale):
    model = build(name, FIELD_DIMS, scale=scale, multi_embedding=multi)
    x = batch()
    out = model(x)
    assert out.shape == (64,) and torch.isfinite(out).all()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(out, torch.rand(64).round())
    (loss + model.regularization_loss()).backward()
    assert model.embedding.weight.grad is not None
    assert model.num_sets == (scale if multi else 1)
    tables = model.field_embeddings(3)
    assert len(tables) == model.num_sets
    assert all(t.shape[0] == 100 for t in tables)


def _tile_from_single(me_model, se_model):
    """Give every set of ``me_model`` the parameters of the one-set ``se_model``."""
    M = me_model.num_sets
    se_state = se_model.state_dict()
    new_state = {}
    for key, value in me_model.state_dict().items():
        source = se_state[key]
        if source.shape == value.shape:
            new_state[key] = source.clone()
            continue
        (dim,) = [d for d in range(value.ndim) if value.shape[d] == M * source.shape[d]
                  and value.shape[d] != source.shape[d]]
        new_state[key] = torch.cat([source] * M, dim=dim)
    me_model.load_state_dict(new_state)


@pytest.mark.parametrize("name", [n for n in MODEL_NAMES if n not in ("fm", "ffm")])
def test_me_with_identical_sets_equals_se(name):
    """Mean fusion of M identical sets = the single-embedding model with those parameters."""
    se = build(name, FIELD_DIMS, scale=1).eval()
    me = build(name, FIELD_DIMS, scale=3, multi_embedding=True).eval()
    _tile_from_single(me, se)
    x = batch()
    torch.testing.assert_close(me(x), se(x), rtol=1e-5, atol=1e-5)


def test_fused_embedding_layout_and_init():
    emb = FusedEmbedding([4, 6], embed_dim=3, num_sets=2)
    bound = math.sqrt(6 / (10 + 3))
    assert emb.weight.shape == (10, 6) and emb.weight.abs().max() <= bound
    x = torch.tensor([[1, 5]])
    e = emb(x)  # (M, B, N, K)
    assert e.shape == (2, 1, 2, 3)
    torch.testing.assert_close(e[1, 0, 1], emb.weight[4 + 5, 3:6])
    torch.testing.assert_close(emb.field_table(1)[0], emb.weight[4:10, :3])
    with pytest.raises(ValueError, match="field must be in"):
        emb.field_table(2)


# --- appendix: linear interaction makes ME a permuted or special case of SE ------------------
def _field_major(e):  # (M, B, N, K) -> SE layout [[e_i^(m)]_m]_i
    M, B, N, K = e.shape
    return e.permute(1, 2, 0, 3).reshape(B, N * M * K)


def _set_major(e):  # ME concatenation form [[e_i^(m)]_i]_m
    M, B, N, K = e.shape
    return e.permute(1, 0, 2, 3).reshape(B, M * N * K)


def test_linear_dnn_me_is_a_permutation_of_se():
    M, N, K = 3, 4, 5
    e = torch.randn(M, 8, N, K)
    perm = torch.tensor([((i * M + m) * K + k) for m in range(M) for i in range(N)
                         for k in range(K)])
    torch.testing.assert_close(_set_major(e), _field_major(e)[:, perm])


def test_projected_dnn_me_mean_is_se_over_m():
    M, N, K, H = 3, 4, 5, 7
    e = torch.randn(M, 8, N, K, dtype=torch.float64)
    W = torch.randn(N, M, H, K, dtype=torch.float64)  # W_{i,m}
    se = torch.einsum("imhk,mbik->bh", W, e)  # SE: I(e) = sum_i sum_m W_{i,m} e_i^(m)
    blocks = torch.einsum("imhk,mbik->mbh", W, e)  # I_all: one block per set
    torch.testing.assert_close(blocks.sum(0), se)
    torch.testing.assert_close(blocks.mean(0), se / M)


def test_linear_dcnv2_me_is_a_special_case_of_se():
    """One cross layer without bias/residual: ME = P * SE with block-diagonal sub-blocks."""
    M, N, K, B = 2, 3, 4, 16
    me_cross = interactions.CrossNetworkV2(M, N, K, num_layers=1)
    se_cross = interactions.CrossNetworkV2(1, N, M * K, num_layers=1)
    with torch.no_grad():
        me_cross.bias.zero_()
        se_cross.bias.zero_()
        se_cross.weight.zero_()
        me_blocks = me_cross.blocks()  # (1, M, N_t, N_s, K, K)
        W = se_cross.weight[0, 0]
        for i, j, m in itertools.product(range(N), range(N), range(M)):
            rows = slice(i * M * K + m * K, i * M * K + (m + 1) * K)
            cols = slice(j * M * K + m * K, j * M * K + (m + 1) * K)
            W[rows, cols] = me_blocks[0, m, i, j]
    e = torch.randn(M, B, N, K)
    me_out = me_cross(e.flatten(2)) - e.flatten(2)  # drop the residual
    x_se = _field_major(e).unsqueeze(0)
    se_out = (se_cross(x_se) - x_se)[0]
    se_as_sets = se_out.view(B, N, M, K).permute(2, 0, 1, 3).reshape(M, B, N * K)
    torch.testing.assert_close(me_out, se_as_sets, rtol=1e-5, atol=1e-6)


# --- regularisers ---------------------------------------------------------------------------
def _orthogonal_blocks(model: DCNv2, scale: float = 1.0):
    L, M = model.cross.weight.shape[:2]
    N, K = model.num_fields, model.embed_dim
    with torch.no_grad():
        for layer, m, i, j in itertools.product(range(L), range(M), range(N), range(N)):
            q, _ = torch.linalg.qr(torch.randn(K, K))
            model.cross.weight[layer, m, i * K:(i + 1) * K, j * K:(j + 1) * K] = scale * q


@pytest.mark.parametrize("name", ["dcnv2_reg", "dcnv2_reg_code", "dcnv2_aligned"])
def test_regularisers_penalise_a_random_initialisation_in_proportion_to_their_weight(name):
    for multi in (False, True):
        torch.manual_seed(0)
        model = build(name, FIELD_DIMS, scale=2, multi_embedding=multi)
        torch.manual_seed(0)
        doubled = build(name, FIELD_DIMS, scale=2, multi_embedding=multi,
                        reg_weight=2 * model.reg_weight)
        penalty = model.regularization_loss().item()
        if name == "dcnv2_aligned" and not multi:
            assert penalty == 0.0  # one embedding set: no patterns to align
            continue
        assert penalty > 1e-6  # random blocks are neither orthogonal nor aligned
        assert doubled.regularization_loss().item() == pytest.approx(2 * penalty, rel=1e-5)


def test_regularisers_vanish_on_orthogonal_blocks():
    code = build("dcnv2_reg_code", FIELD_DIMS, scale=2, multi_embedding=True)
    _orthogonal_blocks(code)
    assert code.regularization_loss().item() < 1e-9
    paper = build("dcnv2_reg", FIELD_DIMS)
    _orthogonal_blocks(paper, scale=0.5)
    with torch.no_grad():
        paper.reg_lambda.fill_(0.25)  # lambda = c^2 for blocks c Q
    assert paper.regularization_loss().item() < 1e-9
    assert build("dcnv2", FIELD_DIMS).regularization_loss().item() == 0.0


def test_aligned_regulariser_vanishes_for_identical_sets():
    model = build("dcnv2_aligned", FIELD_DIMS, scale=3, multi_embedding=True)
    assert model.regularization_loss().item() > 0
    with torch.no_grad():
        model.cross.weight.copy_(model.cross.weight[:, :1].expand_as(model.cross.weight))
    assert model.regularization_loss().item() < 1e-12


def test_gradients_reach_every_set():
    for name in ("dcnv2", "dnn", "xdeepfm", "nfwfm", "autoint", "finalmlp", "ipnn", "ffm"):
        model = build(name, FIELD_DIMS, scale=3, multi_embedding=True)
        model(batch()).sum().backward()
        grad = model.embedding.weight.grad.view(sum(FIELD_DIMS), 3, -1)
        assert (grad.abs().sum(dim=(0, 2)) > 0).all(), name
        for pname, p in model.named_parameters():
            if p.ndim >= 1 and p.shape[0] == 3 and "embedding" not in pname:
                assert (p.grad.flatten(1).abs().sum(1) > 0).all(), (name, pname)


# --- vectorised interactions against naive loops -------------------------------------------
def test_inner_products_against_loop():
    e = torch.randn(2, 5, 4, 3)
    out = interactions.InnerProducts(4)(e)
    expected = torch.stack([(e[..., i, :] * e[..., j, :]).sum(-1)
                            for i in range(4) for j in range(i + 1, 4)], dim=-1)
    torch.testing.assert_close(out, expected)


def test_fwfm_against_loop():
    pool = interactions.FieldWeightedPooling(2, 4)
    e = torch.randn(2, 5, 4, 3)
    expected = torch.zeros(2, 5, 3)
    for m, i, j in itertools.product(range(2), range(4), range(4)):
        expected[m] += pool.r[m, i, j] * e[m, :, i] * e[m, :, j]
    torch.testing.assert_close(pool(e), expected, rtol=1e-5, atol=1e-5)


def test_cross_layer_against_loop_and_block_convention():
    M, N, K, B = 2, 3, 4, 5
    cross = interactions.CrossNetworkV2(M, N, K, num_layers=2)
    x0 = torch.randn(M, B, N * K)
    expected = []
    for m in range(M):
        x = x0[m]
        for layer in range(2):
            x = x0[m] * (x @ cross.weight[layer, m].T + cross.bias[layer, m, 0]) + x
        expected.append(x)
    torch.testing.assert_close(cross(x0), torch.stack(expected), rtol=1e-5, atol=1e-5)
    # Evidence I: first layer, block i = e_i * (sum_j W_{j->i} e_j + b_i) + e_i
    model = build("dcnv2", [3, 4, 5])
    e = model.embedding(batch(7, [3, 4, 5]))[0]  # (B, N, K)
    first = e.flatten(1) * (e.flatten(1) @ model.cross.weight[0, 0].T + model.cross.bias[0, 0]) \
        + e.flatten(1)
    K = model.embed_dim
    for i in range(3):
        mixed = sum(e[:, j] @ model.projection(j, i)[0].T for j in range(3))
        block = e[:, i] * (mixed + model.cross.bias[0, 0, 0, i * K:(i + 1) * K]) + e[:, i]
        torch.testing.assert_close(first[:, i * K:(i + 1) * K], block, rtol=1e-5, atol=1e-6)


def test_sub_embeddings_are_projected_tables():
    model = build("dcnv2", FIELD_DIMS, scale=2, multi_embedding=True)
    K = model.embed_dim
    for source, target in [(1, 3), (3, 1), (2, 2)]:
        subs = model.sub_embeddings(source, target)
        for m, sub in enumerate(subs):
            W = model.cross.weight[0, m, target * K:(target + 1) * K,
                                   source * K:(source + 1) * K].detach()
            torch.testing.assert_close(sub, model.field_embeddings(source)[m] @ W.T)
    pattern = model.interaction_pattern()
    assert pattern.shape == (2, 6, 6)
    assert pattern[1, 1, 3] == pytest.approx(float(model.projection(1, 3)[1].norm()), rel=1e-5)


def test_cin_against_loop():
    cin = interactions.CompressedInteraction(2, 3, (4, 2))
    e = torch.randn(2, 5, 3, 6)
    expected = []
    for m in range(2):
        h, pooled = e[m], []
        for w, b in zip(cin.weights, cin.biases):
            W = w[m, 0]  # (H_out, H_prev * N)
            out = torch.zeros(5, W.shape[0], 6)
            for o in range(W.shape[0]):
                for hi in range(h.shape[1]):
                    for j in range(3):
                        out[:, o] += W[o, hi * 3 + j] * h[:, hi] * e[m, :, j]
            h = torch.relu(out + b[m, 0])
            pooled.append(h.sum(-1))
        expected.append(torch.cat(pooled, dim=1))
    torch.testing.assert_close(cin(e), torch.stack(expected), rtol=1e-5, atol=1e-5)


def test_ffm_against_loop():
    N, k = 4, 3
    e = torch.randn(2, 5, N, N * k)
    expected = torch.zeros(2, 5, k)
    for i in range(N):
        for j in range(i + 1, N):
            expected += e[..., i, j * k:(j + 1) * k] * e[..., j, i * k:(i + 1) * k]
    torch.testing.assert_close(interactions.ffm_vector(e, N), expected, rtol=1e-5, atol=1e-5)
    model = build("ffm", FIELD_DIMS)
    assert model.sub_embeddings(0, 2)[0].shape == (5, 8)
    assert model.field_embeddings(0)[0].shape == (5, 8 * (len(FIELD_DIMS) - 1))
    with pytest.raises(ValueError, match="itself"):
        model.sub_embeddings(1, 1)


def test_attention_against_loop():
    att = interactions.SelfAttentionStack(2, 6, num_layers=1, num_heads=2, attention_dim=4)
    e = torch.randn(2, 3, 5, 6)
    expected = []
    for m in range(2):
        wq, wk, wv, wr = (w[m, 0] for w in att.layers[0])
        q, k, v = e[m] @ wq, e[m] @ wk, e[m] @ wv
        heads = []
        for h in range(2):
            s = slice(2 * h, 2 * h + 2)
            scores = torch.softmax(q[..., s] @ k[..., s].transpose(1, 2) / math.sqrt(2), -1)
            heads.append(scores @ v[..., s])
        expected.append(torch.relu(torch.cat(heads, -1) + e[m] @ wr).reshape(3, -1))
    torch.testing.assert_close(att(e), torch.stack(expected), rtol=1e-5, atol=1e-5)


def test_fm_against_loop():
    model = build("fm", FIELD_DIMS)
    x = batch(9)
    e = model.embedding(x)[0]
    pairs = sum((e[:, i] * e[:, j]).sum(1) for i in range(6) for j in range(i + 1, 6))
    torch.testing.assert_close(model(x), model.linear(x) + pairs, rtol=1e-5, atol=1e-6)


# --- sizes, parameter counts, registry ------------------------------------------------------
def test_scale_sets_sizes_and_se_ipnn_is_really_wider():
    assert build("ipnn", FIELD_DIMS, scale=2).embed_dim == 20
    assert build("ipnn", FIELD_DIMS, scale=10).embed_dim == 100
    me = build("ipnn", FIELD_DIMS, scale=4, multi_embedding=True)
    assert (me.embed_dim, me.num_sets) == (10, 4)
    assert build("nfwfm", FIELD_DIMS, scale=3).embed_dim == 150
    assert build("dcnv2", FIELD_DIMS, scale=1, multi_embedding=True).num_sets == 1


def criteo_like_dims():
    """39 fields with Table 4's extremes: min 4, max ~0.19M, sum ~1.08M."""
    dims = list(CRITEO_LIKE_CARDINALITIES)
    assert len(dims) == 39 and 1.05e6 < sum(dims) < 1.1e6
    return dims


@pytest.mark.parametrize("scale,multi", [(1, False), (2, False), (4, True), (10, True)])
def test_dcnv2_parameter_counts_match_formulas(scale, multi):
    dims = criteo_like_dims()
    model = build("dcnv2", dims, scale=scale, multi_embedding=multi)
    M = scale if multi else 1
    K = 10 if multi else 10 * scale
    NK = 39 * K
    cross = 4 * M * (NK * NK + NK)
    projection = M * (NK * 400 + 400 + 2 * 400)  # Linear + BatchNorm affine
    head = 400 * 400 + 400 + 2 * 400 + 400 + 1
    counts = model.parameter_counts()
    assert counts["embedding"] == sum(dims) * K * M
    assert counts["other"] == cross + projection + head
    if scale == 1:
        # paper: embedding parameters are > 92% of all parameters of the Criteo DCNv2 baseline
        assert counts["embedding"] / counts["total"] > 0.92


def test_dnn_parameter_counts_match_formulas():
    dims = criteo_like_dims()
    for M in (1, 3):
        model = build("dnn", dims, scale=M, multi_embedding=True)
        expected_other = M * (390 * 400 + 400 + 800) + (400 * 400 + 400 + 800) + 401
        assert model.parameter_counts()["other"] == expected_other


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="dcn"), "unknown model 'dcn'; choose one of: dnn, ipnn"),
    (dict(name="dcnv2", scale=0), "scale must be a whole number >= 1"),
    (dict(name="dcnv2", scale=1.5), "scale must be a whole number >= 1"),
    (dict(name="dcnv2", scale=True), "scale must be a whole number >= 1"),
    (dict(name="dnn", cross_layers=2), r"does not accept \['cross_layers'\]; options:"),
])
def test_registry_errors(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message):
        build(name, FIELD_DIMS, **kwargs)


def test_bad_field_dims():
    with pytest.raises(ValueError, match="field_dims"):
        build("dnn", [])
    with pytest.raises(ValueError, match="field_dims"):
        build("dnn", [3, 0])


def test_shared_interaction_batchnorm_is_one_batchnorm_called_once_per_set():
    """Fig. 10c as the official code runs it: per-set batch statistics, shared affine, running
    statistics updated once per set in order."""
    from me_core.models.parts import SetBatchNorm

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 64, 5, generator=gen) * torch.tensor([1.0, 2.0, 3.0])[:, None, None]
    ours, ref = SetBatchNorm(3, 5, shared=True), torch.nn.BatchNorm1d(5)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5)
        ref.bias.uniform_(-1, 1)
        ours.norm.load_state_dict(ref.state_dict())
    for _ in range(2):
        expected = torch.stack([ref(x[m]) for m in range(3)])
        assert torch.allclose(ours(x), expected, atol=1e-5)
    assert torch.allclose(ours.norm.running_mean, ref.running_mean, atol=1e-6)
    assert torch.allclose(ours.norm.running_var, ref.running_var, atol=1e-5)
    ours.eval()
    ref.eval()
    assert torch.allclose(ours(x), torch.stack([ref(x[m]) for m in range(3)]), atol=1e-5)
    # pooled statistics (the previous implementation) would normalise every set alike
    pooled = torch.nn.functional.batch_norm(x.reshape(-1, 5), None, None, training=True)
    assert not torch.allclose(pooled.view(3, 64, 5), (expected - ref.bias) / ref.weight,
                              atol=1e-2)


def test_initialisations_follow_the_official_code():
    torch.manual_seed(0)
    dcn = build("dcnv2", [50] * 8)
    width = 8 * 10
    bound = (6 / (2 * width)) ** 0.5  # Xavier-uniform on the NK x NK cross weight
    assert dcn.cross.weight.abs().max() <= bound and dcn.cross.weight.abs().max() > 0.9 * bound
    assert torch.count_nonzero(dcn.cross.bias) == 0
    ffm = build("ffm", [500] * 8)
    first_order = ffm.linear.weights.weight.detach()
    assert abs(float(first_order.std()) - 1.0) < 0.05  # nn.Embedding's N(0, 1)


def test_autoint_attention_matches_the_official_layers():
    """SetAttentionBlocks == afi.py's MultiHeadSelfAttentionInteraction per set: Linear into the
    attention space, then LayerNorm(h + MultiheadAttention(h, h, h)) per layer, ReLU."""
    from me_core.models.interactions import SetAttentionBlocks

    torch.manual_seed(0)
    M, B, N, K, d, heads, layers = 2, 5, 4, 6, 8, 2, 2
    ours = SetAttentionBlocks(M, K, layers, heads, d)
    with torch.no_grad():
        for p in ours.parameters():
            p.normal_(0, 0.5)
    e = torch.randn(M, B, N, K)
    out = ours(e).view(M, B, N, d)
    for m in range(M):
        h = e[m] @ ours.embed_weight[m, 0] + ours.embed_bias[m, 0]
        for layer in range(layers):
            attention = torch.nn.MultiheadAttention(d, heads, batch_first=True)
            W, b = ours.weights[layer][:, m, 0], ours.biases[layer][:, m, 0, 0]
            with torch.no_grad():  # nn.Linear layout is (out, in); ours is (in, out)
                attention.in_proj_weight.copy_(torch.cat([W[i].T for i in range(3)]))
                attention.in_proj_bias.copy_(torch.cat([b[i] for i in range(3)]))
                attention.out_proj.weight.copy_(W[3].T)
                attention.out_proj.bias.copy_(b[3])
            h = h + attention(h, h, h, need_weights=False)[0]
            h = torch.nn.functional.layer_norm(h, (d,)) * ours.norm_weights[layer][m, 0, 0] \
                + ours.norm_biases[layer][m, 0, 0]
        assert torch.allclose(out[m], torch.relu(h), atol=1e-5)


def test_autoint_forms_and_attention_entropy():
    torch.manual_seed(0)
    x = torch.randint(0, 30, (32, 6))
    official = build("autoint", [30] * 6, scale=2, multi_embedding=True)
    entropy = official.attention_entropy(x)
    assert len(entropy) == 3 and all(0 < h <= official.uniform_entropy + 1e-6 for h in entropy)
    # the tiny initial tables make the first layer's attention uniform (the reason to report it)
    assert entropy[0] == pytest.approx(official.uniform_entropy, abs=1e-3)
    assert official.head is not None and official(x).shape == (32,)
    plain = build("autoint", [30] * 6, form="attention")
    assert plain.head is None and plain(x).shape == (32,)
    with pytest.raises(ValueError, match="attention_entropy needs"):
        plain.attention_entropy(x)
    with pytest.raises(ValueError, match="form must be one of"):
        build("autoint", [30] * 6, form="transformer")
