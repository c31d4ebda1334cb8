"""The chapters' computations, one module per kind of experiment.

* :mod:`~me_core.companion.runs`: trained models shared by the chapters of one build;
* :mod:`~me_core.companion.analysis`: the paper's analyses of trained tables (spectra, IA,
  sub-embeddings, co-influence, set diversity, interaction patterns);
* :mod:`~me_core.companion.chapters.evidence2_toy`: Evidence II's toy experiment and gradient
  decomposition;
* :mod:`~me_core.companion.chapters.appendix_proofs`: the appendix's identities, checked
  numerically;
* :mod:`~me_core.companion.chapters.text_models`: a pretrained text model's token embedding
  (Fig. 11).
"""
