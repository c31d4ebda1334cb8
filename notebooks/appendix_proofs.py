# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Appendix: why the interaction must be non-linear, and what diversity buys
#
# *Paper: appendix (linear interaction makes ME equivalent to SE; the embedding-set
# similarity example).*
#
# Multi-embedding only adds something if each set's interaction module is **non-linear**. With
# a linear interaction the appendix shows that ME is a permutation of SE (DNN), SE scaled by
# $1/M$ (DNN with a linear projection), or a special case of SE with block-diagonal weights
# (DCNv2). That is why the paper adds a non-linear projection after each set's interaction.
# Here each identity is checked on random weights in float64, and then shown to fail once a
# ReLU follows each set's projection. The second half works through why low similarity between
# sets means more information in their concatenation.

# %% tags=["parameters", "hide-input"]
M = 3  # embedding sets
N = 4  # fields
K = 5  # embedding size per set
seed = 0  # random weights and embeddings

# %% tags=["hide-input"]
from IPython.display import display

from me_core.companion import plots as P
from me_core.companion import setup_notebook
from me_core.companion.chapters import appendix_proofs as appendix
from me_core.companion.report import show_finding

setup_notebook()

# %% [markdown]
# ## Linear interaction: ME is SE in disguise
#
# * **DNN** (concatenation): $I_{all}(e) = P\,I(e)$ for a fixed permutation $P$ (set-major vs
#   field-major order).
# * **Projected DNN**: $I(e) = \sum_i\sum_m W_{i,m} e_i^{(m)}$ and the mean-fused ME gives
#   $\frac1M\sum_m I^{(m)}_{all}(e) = \frac1M I(e)$.
# * **DCNv2**, one cross layer without bias or residual: with
#   $W^{(m,m)}_{j\to i} = W^{(m)}_{j\to i}$ and $W^{(m,m')} = 0$ for $m \ne m'$,
#   $I_{all}(e) = P\,I(e)$.

# %%
identities = appendix.linear_identities(M=M, N=N, K=K, seed=seed)
display(identities.style.format({"max_abs_deviation": "{:.2e}"}).hide(axis="index"))

# %% tags=["hide-input"]
_ = show_finding("appendix_proofs", "linear", appendix.linear_finding(identities))

# %% [markdown]
# {glue:md}`linear`
#
# ## Similarity and information abundance
#
# Take two *isometric* sets $U_1, U_2$ (orthonormal columns, $K = 8$) whose column spaces meet
# at principal angles $\phi_k$. The concatenation $[U_1, U_2]$ has singular values
# $\sqrt{1 \pm \cos\phi_k}$, so
# $\mathrm{IA}([U_1,U_2]) = \sum_k \left(\sqrt{1+\cos\phi_k} + \sqrt{1-\cos\phi_k}\right) /
# \sqrt{1+\cos\phi_1}$: from $K$ for identical subspaces to $2K$ for orthogonal ones. Lower
# similarity, more information: the reason $1 - \text{similarity}$ is the paper's diversity.

# %%
pairs = appendix.isometric_pair_abundance(K=8, seed=seed)
display(pairs.round(4).style.hide(axis="index"))

# %% tags=["hide-input"]
ax = P.panel("Two isometric sets, K = 8: less similar, more abundant",
             "similarity (mean cosine of the principal angles)", "IA of the concatenation",
             size=(6, 3.5))
ax.plot(pairs.similarity, pairs.ia_measured, marker="o", label="measured")
ax.plot(pairs.similarity, pairs.ia_closed_form, linestyle="--", label="closed form")
ax.legend()
P.plt.show()
example = appendix.diversity_example(seed=seed)
display(example.round(3).style.hide(axis="index"))
_ = show_finding("appendix_proofs", "diversity", appendix.diversity_finding(pairs, example))

# %% [markdown]
# {glue:md}`diversity`
#
# The example's matrices are ours: a $K = 2$ table with singular values $(1, 0.1)$; the same
# table enlarged to $K = 4$ with columns that reuse its two directions (what
# interaction-collapse does); and two such tables in different subspaces, concatenated (what
# diverse ME sets give).
