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
# # How multi-embedding works
#
# *Paper: section 5, Figures 9 and 10.*
#
# Why does ME help? The paper gives three answers. Its sets are **less affected by
# interaction-collapse**: the partner field's IA matters less for a sub-embedding's IA (Figure 9).
# Its sets are **diverse**: their column spaces differ, measured by principal angles (Figure
# 10a), and each set learns its own interaction pattern (Figure 10b). And the diversity **comes
# from the separated interaction modules**: sharing one interaction across the sets, or
# regularising their patterns to agree, loses both diversity and scalability (Figures 10c/d).

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
analysis_scale = 4  # SE vs ME DCNv2 at this scale for Figures 9, 10a, 10b (paper: 10)
variant_scales = [2, 4]  # Figures 10c/d: ME, shared-interaction and aligned-pattern variants
seeds = [0, 1, 2, 3, 4]  # model seeds of the analysed runs; the first is trained live
analyses = "results/b1/analyses/analyses.jsonl"  # stored weight analyses ("": train all)
variant_seeds = [0, 1, 2, 3, 4]  # Figure 10c's seeds; the first trained live at the largest size
results = ["results/b1/table1/records.jsonl",
           "results/b1/chapters/records.jsonl"]  # committed records ([]: train all)
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
from IPython.display import display

from me_core.companion import analysis as A
from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import evidence1_subembeddings as E1
from me_core.companion.chapters import me_mechanism as V
from me_core.companion.report import glue_text
from me_core.stats import cell_rows

chapter = R.chapter_of("me_mechanism", globals())

# %%
top = max(variant_scales)
# Figures 9 and 10: the weights of every seed, the first analysed live (but the shared
# variant's), the others read from the committed analyses of the same runs
analysed = chapter.analysed(
    chapter.grid(["dcnv2"], [analysis_scale], ["se", "me"], seeds)
    + chapter.grid(["dcnv2", "dcnv2_shared", "dcnv2_aligned"], [top], ["me"], seeds), analyses,
    live=lambda config: config.seed == seeds[0] and config.model != "dcnv2_shared")
print(analysed.text())
weights = analysed.frame
# Figures 10c/d: every seed from committed records; the first seed of the aligned variant
# retrained at the largest size (the shared one is read from its records and analyses)
variant_runs = chapter.collect(
    chapter.grid(["dcnv2"], [1, *variant_scales], ["me"], variant_seeds)
    + chapter.grid(["dcnv2_shared", "dcnv2_aligned"], variant_scales, ["me"], variant_seeds),
    results, live=lambda config: config.seed == variant_seeds[0]
    and config.scale == max(variant_scales) and config.model != "dcnv2_shared")
by = {(r.config.model, r.config.multi_embedding, r.config.scale): r for r in analysed.live}
se_run, me_run = by[("dcnv2", False, analysis_scale)], by[("dcnv2", True, analysis_scale)]

# %% [markdown]
# ## Figure 9: less interaction-collapse
#
# The Evidence I analysis on both models: for ME, a sub-embedding $E_i^{\to j}$ concatenates
# the sets' $E_i^{(m)} W^{(m)\top}_{i\to j}$. The partner effect of $j$ (the mean of column $j$
# after centring every row on its mean, see the Evidence I chapter for why the raw column sums
# are biased) against the partner's IA measures how much the partner drags the sub-embedding.
# The paper's claim has two parts: the SE correlation is positive, and ME's is lower.

# %% tags=["hide-input"]
seed_reads = {name: E1.partner_reads(cell_rows(weights, model="dcnv2", embedding=name,
                                               scale=analysis_scale), chapter.planted)
              for name in ("SE", "ME")}
for ax, (name, reads) in zip(P.row(2, sharey=True), seed_reads.items()):
    P.partner_scatter(ax, reads[seeds[0]], f"Figure 9 (ours): {name} DCNv2 {analysis_scale}x, "
                                           f"seed {seeds[0]}, ")
P.plt.show()
_ = chapter.report("fig9", V.me_less_partner_dependence(seed_reads["SE"], seed_reads["ME"]),
                   lead=f"At {analysis_scale}x, ")
glue_text("mech_planted", E1.planted_me_vs_se(seed_reads["SE"], seed_reads["ME"])
          if chapter.planted else "")

# %% [markdown]
# {glue:md}`fig9`
#
# {glue:md}`mech_planted`
#
# ## Figure 10a: diverse embedding sets
#
# Diversity of two tables = $1 - \frac1K\sum_k \cos\phi_k$, with $\phi_k$ the principal angles
# between their column spaces, averaged over set pairs and over the fields with more than $K$
# values (below that both column spaces are the whole space). References: the SE table of the
# same width split column-wise into $M$ blocks, and each SE run's random initialisation split
# the same way.

# %% tags=["hide-input"]
M = analysis_scale
me_rows = cell_rows(weights, model="dcnv2", embedding="ME", scale=M)
se_rows = cell_rows(weights, model="dcnv2", embedding="SE", scale=M)
P.mean_sd_bars(P.panel(f"Figure 10a (ours): M = {M} sets of K = 10, mean ± sd over seeds",
                       ylabel="mean diversity (1 - similarity)", size=(6, 3.5)),
               {"ME sets": V.diversity_by_seed(me_rows),
                "SE split into blocks": V.diversity_by_seed(se_rows, "block_diversity"),
                "random table split": V.diversity_by_seed(
                    se_rows.assign(analyses=[a["initial"] for a in se_rows.analyses]),
                    "block_diversity")})
_ = chapter.report("fig10a", V.me_sets_more_diverse(me_rows, se_rows))

# %% [markdown]
# {glue:md}`fig10a`
#
# ## Figure 10b: each set learns its own interaction pattern
#
# $\lVert W^{(m)}_{i\to j}\rVert_F$ of the first cross layer for each set $m$ (seed
# {glue:md}`mech_seed`). Use the slider in the live notebook to step through the sets.
#
# How different must the sets' patterns be? A bare threshold on their correlation says little:
# an untrained model's sets are uncorrelated, so it would pass, and the data itself makes any
# two learned patterns alike. The test has two parts. First, the patterns must be *learned*:
# the set-averaged patterns of runs with different seeds agree more than their
# initialisations do (the run's start is rebuilt from its seed). Then, the sets' patterns must
# be *their own*: the sets of one model must be no more alike than the sets of two models
# trained independently (other seeds), which is how alike the data alone makes them; sets
# pulled together by something they share would correlate more within a model.

# %% tags=["hide-input"]
patterns = A.interaction_patterns(me_run.model)
glue_text("mech_seed", str(seeds[0]))
P.heatmaps({f"set {m + 1}": patterns[m] for m in range(min(M, 4))},
           label=r"$\|W_{i\to j}\|_F$",
           suptitle=f"Figure 10b (ours): interaction patterns of ME DCNv2 {M}x")
P.plt.show()
me_top, aligned_top, shared_top = (cell_rows(weights, model=m, embedding="ME", scale=top)
                                   for m in ("dcnv2", "dcnv2_aligned", "dcnv2_shared"))
_ = chapter.report("fig10b", V.sets_learn_own_patterns(me_top), lead=f"At {top}x, ")
display(P.figure_widget(
    lambda m: P.heatmaps({f"set {m} of {M}": patterns[m - 1]}, label=r"$\|W_{i\to j}\|_F$"
                         )[0].figure,
    {"m": P.choice("set", range(1, M + 1), buttons=True)}))

# %% [markdown]
# {glue:md}`fig10b`
#
# ## Figures 10c and 10d: separated interaction is what matters
#
# Two variants keep $M$ embedding sets but take away the separation: **shared** interaction
# (one cross network and one projection for all sets) and **aligned** patterns (ME with a
# penalty, weight 1 as in the official code, on the variance over sets of
# $\lVert W^{(m)}_{l,ij}\rVert_F^2$).

# %% tags=["hide-input"]
names = {"dcnv2": "ME", "dcnv2_shared": "shared interaction", "dcnv2_aligned": "aligned patterns"}
variants = R.with_shared_base(
    variant_runs.frame.assign(variant=lambda f: f.model.map(names)), "variant",
    ["shared interaction", "aligned patterns"])
curves, bars = P.row(2)
P.scale_curves(P.panel("Figure 10c (ours): scalability", ylabel="test AUC", ax=curves),
               variants, "test_auc", group="variant")
# Figure 10d on the trained weights of every seed at the largest size
P.mean_sd_bars(P.panel(f"Figure 10d (ours): diversity at {top}x, mean ± sd over seeds",
                       ylabel="mean diversity over fields", ax=bars),
               {n: V.diversity_by_seed(cell_rows(weights, model=m, embedding="ME", scale=top))
                for m, n in names.items()})
P.plt.show()
_ = chapter.report("fig10c", V.variants_scale_worse(variants), lead="Figure 10c, ",
                   source=variant_runs.text())
# Fig. 10d is a claim about *aligned* patterns: its aligned part counts only where the
# penalty aligned them (the function checks, paired by seed)
_ = chapter.report("fig10d", V.aligned_less_diverse(me_top, aligned_top, shared_top),
                   lead=f"Figure 10d at {top}x, ", source=analysed.text())

# %% [markdown]
# {glue:md}`fig10c`
#
# {glue:md}`fig10d`
