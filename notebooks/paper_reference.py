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
# # The paper, for reference
#
# *Guo, Pan, Wang, Chen, Jiang and Long, "On the Embedding Collapse When Scaling Up
# Recommendation Models", ICML 2024 (arXiv 2310.04400); official code: thuml/Multi-Embedding.*
#
# This page collects, in our own words, the definitions, the protocol and the reported numbers
# that the chapters use, each with the place in the paper it comes from. Section numbers are the
# ICML version's. Every number below is **reported in the paper**; none is computed here. The
# tables are read from `me_core.companion.paper`, the one place the chapters take the paper's
# numbers from.

# %% tags=["parameters", "hide-input"]
dataset = "criteo"  # which half of Table 1 to show first: criteo or avazu

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from me_core.companion import paper, setup_notebook

setup_notebook()

# %% [markdown]
# ## Models and multi-embedding (sections 2 and 4, Figure 7)
#
# A CTR model sees $N$ categorical fields; field $i$ takes one of $D_i$ values (its
# cardinality) and has an embedding table $E_i \in \mathbb{R}^{D_i \times K}$. The row of the
# observed value is looked up for every field, an *interaction module* $I$ combines the $N$
# embeddings into $h$, and a post-processing network $F$ (an MLP here) predicts the click
# probability $\hat y = F(h)$. A **single-embedding** (SE) model is scaled up by widening $K$.
#
# A **multi-embedding** (ME) model keeps $M$ complete, independent embedding sets, each with
# its *own* interaction module, and averages the sets' outputs before $F$:
#
# $$h = \frac{1}{M}\sum_{m=1}^{M} I^{(m)}\big(e_1^{(m)},\dots,e_N^{(m)}\big).$$
#
# "$n\times$ size" means an SE model with $K = n \cdot K_\text{base}$ or an ME model with
# $M = n$ sets of $K_\text{base}$ (same number of embedding parameters; $K_\text{base} = 10$,
# 50 for NFwFM). Each set's interaction must be **non-linear**: with a linear interaction ME
# is a permutation, a rescaling or a special case of SE (appendix; checked in the appendix
# chapter), so the paper adds a non-linear projection (one MLP layer) after each set's
# interaction and removes one layer from the shared MLP.
#
# ## Information abundance (section 2)
#
# For a table $E \in \mathbb{R}^{D \times K}$ with singular values $\sigma_1 \ge \dots \ge
# \sigma_K$,
#
# $$\mathrm{IA}(E) = \frac{\lVert\sigma\rVert_1}{\lVert\sigma\rVert_\infty}
#   = \frac{\sum_k \sigma_k}{\max_k \sigma_k},$$
#
# between 1 (rank one) and $\min(D, K)$ (all directions equally used). A table is *collapsed*
# when its IA is far below that of a random table of the same shape (Figure 2). Figure 1b plots
# the normalised singular values $\sigma_k / \sigma_1$; the IA is their sum. For an ME model,
# field $i$'s table is the concatenation $[E_i^{(1)}, \dots, E_i^{(M)}]$ (Figure 8b).
#
# ## The four pieces of evidence (section 3)
#
# * **Evidence I** (section 3.2, Figure 3; FFM in appendix Figure 14): in DCNv2's first cross
#   layer, field $i$'s embedding reaches field $j$ through the block $W_{i\to j}$ of the weight
#   matrix, giving the *sub-embedding* $E_i^{\to j} = E_i W_{i \to j}^\top$. Its IA depends not
#   only on $E_i$ but on the partner $j$: partners with low IA give low IA. The paper reports a
#   correlation between the partner's IA and the sub-embeddings' IA.
# * **Evidence II** (section 3.2, Figure 4): for an FM-style interaction
#   $h = \sum_{i<j} e_i^\top e_j$, the gradient of a row of $E_1$ is a sum over the other fields
#   of combinations of their right singular vectors weighted by their singular values, so a
#   collapsed partner pushes every row of $E_1$ into the same few directions. A toy experiment
#   (3 fields, only $E_1$ trained, random labels) shows $E_1$ collapsing more next to a
#   low-cardinality field. This is the *interaction-collapse theory*.
# * **Evidence III** (section 3.3, Figure 5; appendix Figure 16): a regulariser that pushes each
#   projection block towards a scaled orthogonal matrix,
#   $\ell_\text{reg} = \sum_{i,j} \lVert W_{i\to j}^\top W_{i\to j} - \lambda_{ij} I
#   \rVert_F^2$ with learnable $\lambda_{ij}$, keeps the sub-embeddings' IA but does not make
#   the model scale: it over-fits. (The official code scales each block by a learnable $n_{ij}$
#   and penalises the raw blocks with weight $10^{-5}$.)
# * **Evidence IV** (section 3.3, Figure 6; appendix Figure 17b): DNN, which has no explicit
#   interaction, collapses less than DCNv2 but its AUC falls as it grows: suppressing
#   interaction is not the cure either.
#
# ## How multi-embedding helps (section 5)
#
# ME tables have higher IA, most of all for high-cardinality fields (Figure 8b); their
# sub-embeddings depend less on the partner (Figure 9); the sets are *diverse* (Figure 10a),
# measured by the principal angles $\phi_k$ between two sets' column spaces: similarity
# $= \frac{1}{K}\sum_k \cos\phi_k$, diversity $= 1 -$ similarity (section 5.2); the diversity
# comes from the separate interaction modules, since sharing one interaction (Figure 10c) or
# aligning the sets' interaction patterns (Figure 10d) removes it. Text-model token embeddings
# collapse less than CTR tables (Figure 11).
#
# ## Protocol (section 4.1 and appendix C)

# %% tags=["hide-input"]
display(paper.protocol_table().style.hide(axis="index"))

# %% [markdown]
# ## Data sets (Table 4)

# %% tags=["hide-input"]
display(Markdown("*Reported in the paper* (Table 4):"), paper.table4())

# %% [markdown]
# ## Table 1 with Tables 5 and 6: test AUC, mean ± SD of 3 runs
#
# "base" is one model shared by the SE and ME rows. An empty cell was not reported (Avazu NFwFM
# at 10x, first arXiv version). The chapters compare our seed spread with these SDs.

# %% tags=["hide-input"]
for name in dict.fromkeys([dataset, "criteo", "avazu"]):
    display(Markdown(f"*Reported in the paper* ({name.capitalize()}, Tables 1, 5 and 6):"),
            paper.table1_cells(name, with_std=True))

# %% [markdown]
# ## Other reported numbers the chapters use

# %% tags=["hide-input"]
display(Markdown(
    f"* Figure 9 (section 5): correlation of the sub-embeddings' IA with the partner field's "
    f"IA, SE DCNv2 {paper.PARTNER_CORRELATION['SE']:.2f}, ME DCNv2 "
    f"{paper.PARTNER_CORRELATION['ME']:.2f}.\n"
    f"* Table 7 (appendix, AutoInt on Criteo): SE does not scale; ME gains about "
    f"{paper.AUTOINT_ME_GAIN_4X:.4f} AUC at 4x (the cells are not given in the text we "
    f"could read).\n"
    "* Tables 2 and 3 (section 5): the text states the patterns (IA is not monotone in the "
    "amount of data for large models; more cross or MLP layers bring no gain) without cell "
    "values we could read; the chapters judge the patterns, not numbers."))
