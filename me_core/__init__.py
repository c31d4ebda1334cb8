"""me_core: the executable companion to "On the Embedding Collapse When Scaling Up
Recommendation Models" (Guo et al., ICML 2024).

Subpackages: ``metrics`` (information abundance, spectra, principal-angle similarity),
``experiments`` (one function per paper experiment), ``plots``, ``report`` (chapter summaries),
``book`` (profiles and the papermill + Jupyter Book pipeline).
"""

__version__ = "0.1.0"


def diagnose(model_or_tables, **kwargs):
    """Is this model's embedding collapsed? See :func:`me_core.diagnosis.diagnose`."""
    from me_core.diagnosis import diagnose as run

    return run(model_or_tables, **kwargs)


def setup_notebook(threads: int | None = None) -> None:
    """Pin torch threads and apply the book's plot style (first cell of every chapter)."""
    from me_core.plots import use_style
    from me_core.runtime import configure_threads

    configure_threads(threads)
    use_style()
