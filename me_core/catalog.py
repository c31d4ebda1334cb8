"""What me_core offers, by name, importable without torch: the command line's choices and help
read these (``python -m me_core --help`` starts in well under a second), and the libraries that
implement them check against the same tuples (tests/test_interfaces.py keeps them equal)."""

from __future__ import annotations

DATASETS = ("criteo", "avazu", "movielens", "flights", "insteval", "synthetic", "table")
# me_core.models.registry.MODEL_NAMES, in registry order
MODEL_NAMES = ("dnn", "ipnn", "nfwfm", "xdeepfm", "dcnv2", "finalmlp", "autoint", "ffm", "fm",
               "dcnv2_reg", "dcnv2_reg_code", "dcnv2_shared", "dcnv2_aligned")
PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("local", "ray")
PROTOCOL_NAMES = ("quick", "paper")
# the grid of ``python -m me_core sweep`` when neither flags nor a spec file give one
SWEEP_DEFAULTS = {"datasets": ["synthetic"], "models": ["dcnv2"], "scales": [1],
                  "embeddings": ["se", "me"], "seeds": [0], "fractions": [1.0]}

# the synthetic benchmark's teachers (me_core.data.synthetic) and the one a run gets when it
# names none; runs name their teacher in their data options, so a run key says which data it
# trained on (:func:`with_default_teacher`)
TEACHERS = ("B1", "A3")
DEFAULT_TEACHER = "B1"

__all__ = ["DATASETS", "MODEL_NAMES", "PRECISIONS", "BACKENDS", "PROTOCOL_NAMES",
           "SWEEP_DEFAULTS", "TEACHERS", "DEFAULT_TEACHER", "with_default_teacher"]


def with_default_teacher(dataset: str, options: dict | None) -> dict:
    """``options`` of a run on ``dataset``, with the synthetic benchmark's teacher named
    (:data:`DEFAULT_TEACHER` unless given): what the command line, sweeps and chapters build
    runs from, so the same run always has the same key."""
    options = dict(options or {})
    if dataset == "synthetic":
        options.setdefault("teacher", DEFAULT_TEACHER)
    return options
