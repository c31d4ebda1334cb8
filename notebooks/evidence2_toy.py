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
# # Evidence II: the interaction-collapse theory and its toy experiment
#
# *Paper: section 3.2, Evidence II and Figure 4.*
#
# Why would a field's embedding table collapse just because it *interacts* with other fields?
# The paper answers with a gradient calculation for the simplest interaction, a factorization
# machine, and then confirms it with a toy experiment in which the labels are pure noise, so
# nothing about the data could explain a collapse. This chapter redoes both: it checks the
# gradient formula numerically against autograd, and it reruns the toy experiment over several
# seeds.

# %% tags=["parameters", "hide-input"]
K = 10  # embedding size (the paper only says 3 < K << 100)
D3_values = [3, 100]  # cardinality of the partner field: "small" and "large"
iterations = 5000  # full-batch SGD steps, learning rate 1 (as in the paper)
seeds = [0, 1, 2, 3, 4]  # independent repetitions (tables, labels, x3)
record_every = 10  # IA(E1) is logged every this many iterations
widget_iterations = 1000  # iterations per run in the interactive explorer below
explore_D3 = [3, 10, 100]  # partner sizes of the explorer's grid
explore_K = [5, 10, 20]  # embedding sizes of the explorer's grid

# %% tags=["hide-input"]
import numpy as np
from IPython.display import display

from me_core.companion import plots as P
from me_core.companion import setup_notebook
from me_core.companion.chapters import evidence2_toy as toy
from me_core.companion.report import glue_text, show_finding

setup_notebook()

# %% [markdown]
# ## The gradient of one embedding row
#
# Take the FM interaction $h = \sum_{i=1}^{N} \sum_{j<i} \langle e_i, e_j \rangle$, one row
# $e_1$ of field 1's table $E_1$, and keep every other table fixed. With the SVD
# $E_i = \sum_k \sigma_{i,k} u_{i,k} v_{i,k}^\top$ and a batch of size $B$ the gradient of the
# mean loss splits into one term per partner field:
#
# $$
# \frac{\partial L}{\partial e_1}
#   = \frac{1}{B}\sum_b \frac{\partial \ell^{(b)}}{\partial h^{(b)}}
#     \sum_{i=2}^{N} E_i^\top 1_{x_i^{(b)}}
#   = \sum_{i=2}^{N} \underbrace{\sum_{k=1}^{K} \alpha_{i,k}\, \sigma_{i,k}\, v_{i,k}}_{\theta_i},
# $$
#
# $$
# \alpha_{i,k} = \frac{1}{B} \sum_{b:\, x_1^{(b)} = e_1}
#   \frac{\partial \ell^{(b)}}{\partial h^{(b)}}\, u_{i,k}[x_i^{(b)}] .
# $$
#
# The scalars $\alpha$ depend on the data and the loss; the directions $v_{i,k}$ and the
# weights $\sigma_{i,k}$ are those of the *partner* tables and are the same for every row of
# $E_1$. If a partner table has low information abundance, its term $\theta_i$ is dominated by a
# few directions, so every row of $E_1$ is pushed the same few ways: $E_1$ collapses too.
#
# First the formula itself, checked against autograd on a random instance with four fields:

# %%
check = toy.gradient_check(seed=0)
print("autograd :", np.round(check["autograd"], 6))
print("spectral :", np.round(check["spectral"], 6))
print(f"largest difference: {check['gap']:.2e}")
glue_text("toy_gradient_reading", f"The spectral decomposition "
          f"{'equals' if check['gap'] < 1e-10 else 'does NOT equal'} the autograd gradient "
          f"(largest difference {check['gap']:.1e}, summed over the three partner fields' "
          f"terms).")

# %% [markdown]
# {glue:md}`toy_gradient_reading`
#
# ## The toy experiment (Figure 4)
#
# Three fields: $D_1 = D_2 = 100$ and a partner field 3 that is either *small* ($D_3 = 3$, so
# $E_3$ has rank at most 3 and low IA) or *large* ($D_3 = 100$). The data are all 10,000 pairs
# $(x_1, x_2)$ with $x_3$ drawn uniformly and a label drawn uniformly from $\{0, 1\}$: pure noise.
# All tables start i.i.d. $\mathcal N(0, 1)$; $E_2$ and $E_3$ are frozen and only $E_1$ is
# trained, by full-batch SGD with learning rate 1. Within a seed, both cases share $E_1$, $E_2$
# and the labels, so any difference in $\mathrm{IA}(E_1)$ comes from the partner table $E_3$.

# %%
curves = toy.run_toy(D3_values=D3_values, K=K, iterations=iterations, seeds=seeds,
                     record_every=record_every)

# %% tags=["hide-input"]
P.mean_band(P.panel(f"Figure 4 (ours): IA of $E_1$ during training, K = {K}; mean and range "
                    f"over {len(seeds)} seeds"), curves, "iteration", "ia", "D3",
            labels={d: f"$D_3$ = {d}" for d in D3_values}).set_ylabel(r"IA($E_1$)")
P.plt.show()

# %% tags=["hide-input"]
display(curves[curves.iteration == curves.iteration.max()].pivot(
    index="seed", columns="D3", values="ia").rename(columns=lambda d: f"IA(E1), D3 = {d}"))
_ = show_finding("evidence2_toy", "figure4", toy.small_partner_collapses(curves),
                 lead="In this run ", readings={"otherwise": "The paper's effect did not "
                 "show robustly in this run (the smoke profile runs only a few iterations)."}
                 if iterations < 1000 else None)

# %% [markdown]
# {glue:md}`figure4`
#
# *Reported in the paper (Figure 4):* with the small partner field, $\mathrm{IA}(E_1)$ ends
# clearly lower than with the large one. Our K = 10 is a choice: the paper gives only
# $3 < K \ll 100$.
#
# ## Try another setting
#
# The explorer below shows one seed for each partner size $D_3$ and embedding size $K$ of a
# small grid; every run of the grid is made when the page is built, so the controls work in
# the static book as in a live notebook. Other values: change `explore_D3` and `explore_K` in
# the parameters cell (each run takes a few seconds).

# %% tags=["hide-input"]
grid_runs = {K_grid: toy.run_toy(D3_values=sorted({*explore_D3, 100}), K=K_grid,
                                 iterations=widget_iterations, seeds=[0],
                                 record_every=max(1, widget_iterations // 100))
             for K_grid in explore_K}


def explore(D3: int, K_explore: int):
    runs = grid_runs[K_explore][grid_runs[K_explore].D3.isin({D3, 100})]
    ax = P.panel(f"Toy experiment, K = {K_explore}, seed 0", size=(5.5, 3.2))
    P.mean_band(ax, runs, "iteration", "ia", "D3", labels={d: f"$D_3$ = {d}" for d in runs.D3})
    ax.set_ylabel(r"IA($E_1$)")
    return ax.figure


controls = dict(
    D3=P.choice("D3", explore_D3, 3, buttons=True),
    K_explore=P.choice("K", explore_K, 10, buttons=True))
display(P.figure_widget(explore, controls))
