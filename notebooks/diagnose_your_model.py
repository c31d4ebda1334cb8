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
# # Is your model's embedding collapsed?
#
# The paper's diagnosis works for any embedding table, not only for the models of this book.
# `me_core.diagnose` takes a PyTorch module (it finds every `nn.Embedding` and
# `nn.EmbeddingBag`, or cuts a fused table into fields with `field_slices`), a checkpoint (from
# the command line: `python -m me_core diagnose model.pt`), or tables directly, and reports per
# table the singular spectrum, the information abundance, the IA of a random Gaussian table of
# the same shape, their ratio, and, for several embedding sets, their diversity.
#
# Here it diagnoses a model written **without** `me_core`: a small DLRM-style network in plain
# PyTorch (one table per field initialised as in Facebook's DLRM, pairwise dot products of the
# field embeddings, an MLP on top), trained on the book's synthetic benchmark with an ordinary
# training loop.

# %% tags=["parameters", "hide-input"]
rows = 300000  # rows of the synthetic benchmark
embedding_dim = 32  # one table per field, this wide
epochs = 2  # plain training loop, Adam, batch 2048
seed = 0

# %% tags=["hide-input"]
import torch
from IPython.display import display
from sklearn.metrics import roc_auc_score
from torch import nn

import me_core
from me_core.companion import plots as P
from me_core.companion import setup_notebook
from me_core.companion.report import show_finding
from me_core.data import load_dataset

setup_notebook()
torch.manual_seed(seed)

# %% [markdown]
# ## A model written without me_core

# %%
class PlainDLRM(nn.Module):
    """Embeddings per field, all pairwise dot products, an MLP over [embeddings, products]."""

    def __init__(self, cardinalities: list[int], dim: int):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(n, dim) for n in cardinalities)
        for table in self.tables:  # DLRM's initialisation: U(-1/sqrt(n), 1/sqrt(n))
            bound = table.num_embeddings ** -0.5
            nn.init.uniform_(table.weight, -bound, bound)
        n = len(cardinalities)
        self.pairs = torch.triu_indices(n, n, offset=1)
        self.mlp = nn.Sequential(nn.Linear(n * dim + self.pairs.shape[1], 256), nn.ReLU(),
                                 nn.Linear(256, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.stack([table(x[:, i]) for i, table in enumerate(self.tables)], dim=1)
        dots = (e[:, self.pairs[0]] * e[:, self.pairs[1]]).sum(-1)
        return self.mlp(torch.cat([e.flatten(1), dots], dim=1)).squeeze(1)


data = load_dataset("synthetic", rows=rows)  # synthetic data (see the book's introduction)
x = torch.tensor(data.x[:], dtype=torch.long)
y = torch.tensor(data.y[:])
train_rows, test_rows = torch.tensor(data.split("train")), torch.tensor(data.split("test"))
model = PlainDLRM(data.feature_map.cardinalities, embedding_dim)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(epochs):
    model.train()
    for batch in train_rows[torch.randperm(len(train_rows))].split(2048):
        loss = nn.functional.binary_cross_entropy_with_logits(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    auc = roc_auc_score(y[test_rows].numpy(), model(x[test_rows]).numpy())
print(f"test AUC after {epochs} epoch(s): {auc:.4f}")

# %% [markdown]
# ## The diagnosis

# %%
report = me_core.diagnose(model).renamed(
    {f"tables.{i}": name for i, name in enumerate(data.feature_map.field_names)})
display(report.fields.round(3))
print(report.summary())

# %% tags=["hide-input"]
axes = report.plot()
P.caption(axes[0], "IA per table: trained vs random, same shape")
P.caption(axes[1], "normalised spectra")
axes[1].get_legend() and axes[1].get_legend().remove()
axes[0].figure.tight_layout()
P.plt.show()
_ = show_finding("diagnose_your_model", "plain_dlrm",
                 report.finding(f"plain DLRM-style model, K = {embedding_dim}"),
                 data=f"synthetic CTR benchmark ({rows:,} rows)")

# %% [markdown]
# {glue:md}`plain_dlrm`
#
# The same call works on a checkpoint from the command line:
#
# ```text
# python -m me_core diagnose my_model.pt --pattern emb --plot report.png
# python -m me_core diagnose runs/<run key>      # a run trained by me_core
# ```
