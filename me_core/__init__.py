"""me_core: the executable companion to "On the Embedding Collapse When Scaling Up
Recommendation Models" (Guo et al., ICML 2024).

Layers, each importing only from the ones above it:

* ``files`` (atomic writes, locks), ``catalog`` (names without torch), ``settings`` (protocols),
  ``metrics`` (information abundance, spectra, principal angles), ``stats`` (seed-paired
  effects and verdicts), ``paper`` (the paper's reported numbers);
* ``data`` (data sets into one cached format), ``models`` (the paper's CTR models, SE and ME),
  ``optim``, ``runtime`` (threads);
* ``train`` (config, trainer, checkpoints, records, sweeps), ``diagnosis`` (collapse report);
* ``experiments`` (the chapters' analyses), ``plots``, ``report`` (findings for the status page);
* ``book`` and ``publish`` (papermill + Jupyter Book pipeline, launch notebooks), ``__main__``
  (the command line).
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


def setup_notebook(threads: int | None = None) -> None:
    """Pin torch threads and apply the book's plot style (first cell of every chapter)."""
    from me_core.plots import use_style
    from me_core.runtime import configure_threads

    configure_threads(threads)
    use_style()
