"""Single- and multi-embedding CTR models of the paper, assembled from shared parts.

``build(name, field_dims, scale=1, multi_embedding=False, **overrides)`` is the entry point;
every model is a :class:`CTRModel` whose ``forward`` returns logits, whose
``regularization_loss()`` is the extra training loss, and whose ``field_embeddings(field)``
returns the D_i x K table of each embedding set (the contract all analyses use).
"""

from me_core.models.autoint import AutoInt
from me_core.models.base import CTRModel
from me_core.models.dcnv2 import DCNv2
from me_core.models.dnn import DNN
from me_core.models.finalmlp import FinalMLP
from me_core.models.fm import FFM, FM
from me_core.models.ipnn import IPNN
from me_core.models.nfwfm import NFwFM
from me_core.models.registry import MODEL_NAMES, MODELS, PAPER_SCALES, build, model_options
from me_core.models.xdeepfm import XDeepFM

__all__ = [
    "build", "model_options", "MODELS", "MODEL_NAMES", "PAPER_SCALES", "CTRModel",
    "DNN", "IPNN", "NFwFM", "XDeepFM", "DCNv2", "FinalMLP", "AutoInt", "FM", "FFM",
]
