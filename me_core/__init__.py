"""me_core: multi-embedding CTR models and embedding-collapse metrics (a library), and the
executable companion to "On the Embedding Collapse When Scaling Up Recommendation Models"
(Guo et al., ICML 2024) built on it (``me_core.companion``). Someone who wants only the
models, the trainer and the collapse metrics uses the library alone.

The layers (printed by ``python tests/test_layers.py``, which also enforces them):

Library (never imports the companion; a layer imports only its own and lower-numbered layers):
0. foundations (environment variables, atomic files and locks, names without torch, typed
   options, protocols, collapse metrics, seed-paired statistics, threads, the optimiser):
   catalog, environment, files, known, metrics, optim, runtime, settings, stats
1. data and models (data sets in one cached format; the paper's CTR models, SE and ME): data,
   models
2. training and diagnosis (trainer, checkpoints, records, sweeps; the collapse report):
   diagnosis, train
Companion (`me_core.companion`, the book; imports the library, and its own lower-numbered
   layers):
3. the paper and its claims (reported numbers, claims declared before any data, the table of
   contents): claims, paper, toc
4. findings for the page (findings and verdict text, plots and static widgets, the analyses of
   trained tables): analysis, plots, report
5. records and live runs (committed records beside this build's runs, weight analyses, the
   ensemble control): ensemble, runs, weights
6. chapters (one finding module per chapter of notebooks/, named after it): chapters
7. the book (papermill and Jupyter Book, launch notebooks, a chapter's first cell): book,
   publish
Command line (`cli`, `__main__`): both wings.
"""

__version__ = "0.1.0"


def diagnose(model_or_tables, *, field_slices=None, seed: int = 0):
    """Is this model's embedding collapsed? (paper section 2: information abundance)

    ``model_or_tables``: a model built by me_core, any ``nn.Module`` (each ``nn.Embedding`` is
    a table; ``field_slices={"user": (0, 1000), ...}`` cuts a fused one, or
    ``{"user": ("table name", 0, 1000)}`` among several), or tables directly
    (``{"user": tensor}`` or ``{"user": [set1, set2]}`` for several embedding sets).
    ``seed`` draws the random tables of the same shape that IA is compared with.

    Returns a :class:`me_core.diagnosis.CollapseReport`: per field the IA, the random table's
    IA, their ratio (below 0.5: collapsed), IA per dimension, the diversity of several sets;
    ``.summary()`` in words and ``.plot()`` the spectra.
    """
    from me_core.diagnosis import diagnose as run

    return run(model_or_tables, field_slices=field_slices, seed=seed)
