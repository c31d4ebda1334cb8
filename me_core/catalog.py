"""What me_core offers, by name, importable without torch: the command line's choices and help
read these (``python -m me_core --help`` starts in well under a second), and the libraries that
implement them check against the same tuples (tests/test_interfaces.py keeps them equal)."""

from __future__ import annotations

DATASETS = ("criteo", "avazu", "movielens", "synthetic", "table")
# me_core.models.registry.MODEL_NAMES, in registry order
MODEL_NAMES = ("dnn", "ipnn", "nfwfm", "xdeepfm", "dcnv2", "finalmlp", "autoint", "ffm", "fm",
               "dcnv2_reg", "dcnv2_reg_code", "dcnv2_shared", "dcnv2_aligned")
PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("local", "ray")
PROTOCOL_NAMES = ("quick", "paper")
# the grid of ``python -m me_core sweep`` when neither flags nor a spec file give one
SWEEP_DEFAULTS = {"datasets": ["synthetic"], "models": ["dcnv2"], "scales": [1],
                  "embeddings": ["se", "me"], "seeds": [0], "fractions": [1.0]}

__all__ = ["DATASETS", "MODEL_NAMES", "PRECISIONS", "BACKENDS", "PROTOCOL_NAMES",
           "SWEEP_DEFAULTS"]
