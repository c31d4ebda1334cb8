"""The companion: the book built on the library, one module per job.

The chapters' findings (:mod:`me_core.companion.chapters`, one module per chapter of
``notebooks/``, named after it), the committed records and live runs they read
(:mod:`~me_core.companion.runs`, :mod:`~me_core.companion.weights`,
:mod:`~me_core.companion.analysis`, :mod:`~me_core.companion.ensemble`), the claims
declared before any data (:mod:`~me_core.companion.claims`), the paper's reported numbers
(:mod:`~me_core.companion.paper`), plots and static widgets (:mod:`~me_core.companion.plots`),
findings for the status page (:mod:`~me_core.companion.report`) and the book pipeline
(:mod:`~me_core.companion.toc`, :mod:`~me_core.companion.book`,
:mod:`~me_core.companion.publish`). It imports the library; the library never imports it.
"""


def setup_notebook(threads: int | None = None) -> None:
    """Pin torch threads and apply the book's plot style (first cell of every chapter)."""
    from me_core.companion.plots import use_style
    from me_core.runtime import configure_threads

    configure_threads(threads)
    use_style()
