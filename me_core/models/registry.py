"""``build(name, field_dims, scale, multi_embedding)``: every model of the paper by name.

Scale s follows the paper's "s x model size": single-embedding (SE) uses one table of
K = base x s, multi-embedding (ME) uses s sets of the base size K (the paper's sizes). At s = 1 the
two coincide (the "base" column of Table 1). Unlike the official ``get_model`` chain, sizes
are computed, not typed: SE IPNN at 2x-10x really is wider (the official code builds it at K = 10).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Sequence

from me_core.known import check_values
from me_core.models.autoint import AutoInt
from me_core.models.base import CTRModel
from me_core.models.dcnv2 import DCNv2
from me_core.models.dnn import DNN
from me_core.models.finalmlp import FinalMLP
from me_core.models.fm import FFM, FM
from me_core.models.ipnn import IPNN
from me_core.models.nfwfm import NFwFM
from me_core.models.xdeepfm import XDeepFM


@dataclass(frozen=True)
class ModelSpec:
    cls: type[CTRModel]
    base_embed_dim: int
    description: str
    fixed: dict[str, Any] = field(default_factory=dict)


MODELS: dict[str, ModelSpec] = {
    "dnn": ModelSpec(DNN, 10, "DNN (Table 1, Evidence IV)"),
    "ipnn": ModelSpec(IPNN, 10, "IPNN (Table 1)"),
    "nfwfm": ModelSpec(NFwFM, 50, "NFwFM (Table 1), base K = 50"),
    "xdeepfm": ModelSpec(XDeepFM, 10, "xDeepFM (Table 1)"),
    "dcnv2": ModelSpec(DCNv2, 10, "DCNv2 (Table 1, Evidence I)"),
    "finalmlp": ModelSpec(FinalMLP, 10, "FinalMLP (Table 1)"),
    "autoint": ModelSpec(AutoInt, 10, "AutoInt (appendix Table 7)"),
    "ffm": ModelSpec(FFM, 8, "FFM (Fig. 14), sub-embedding size 8 per partner"),
    "fm": ModelSpec(FM, 10, "FM (Evidence II)"),
    "dcnv2_reg": ModelSpec(DCNv2, 10, "DCNv2 + the paper's Evidence III regulariser "
                           "(learnable lambda_ij)", {"regularizer": "paper"}),
    "dcnv2_reg_code": ModelSpec(DCNv2, 10, "DCNv2 + the official restricted-weighted "
                                "regulariser (Fig. 5; with ME: Fig. 17a)", {"regularizer": "code"}),
    "dcnv2_shared": ModelSpec(DCNv2, 10, "ME DCNv2 with one interaction shared by all sets "
                              "(Fig. 10c)", {"shared_interaction": True}),
    "dcnv2_aligned": ModelSpec(DCNv2, 10, "ME DCNv2 with aligned interaction patterns "
                               "(Fig. 10d)", {"regularizer": "aligned"}),
}
MODEL_NAMES = tuple(MODELS)
PAPER_SCALES = (1, 2, 3, 4, 10)


def model_options(name: str) -> list[str]:
    """Keyword overrides accepted by ``build`` for model ``name``."""
    spec = _spec(name)
    params = inspect.signature(spec.cls.__init__).parameters
    return [p for p in params if p not in ("self", "field_dims", "num_sets", *spec.fixed)]


def _spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}")
    return MODELS[name]


#: the largest scale ``build`` accepts: ten times the paper's largest (10x)
MAX_SCALE = 100


def build(name: str, field_dims: Sequence[int], scale: int = 1, multi_embedding: bool = False,
          **overrides: Any) -> CTRModel:
    """A model at ``scale`` x the base size, single- or multi-embedding (the official code's
    design).

    ``overrides`` are constructor keywords (``embed_dim`` sets the *base* size); unknown names
    raise ``ValueError`` listing the accepted ones.
    """
    spec = _spec(name)
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1 (the paper uses "
                         f"{', '.join(map(str, PAPER_SCALES))}), got {scale!r}")
    if scale > MAX_SCALE:
        raise ValueError(f"scale {scale} is above {MAX_SCALE} (the paper's largest is 10x; "
                         f"the tables grow with it)")
    accepted = model_options(name)
    unknown = sorted(set(overrides) - set(accepted))
    if unknown:
        raise ValueError(f"model {name!r} does not accept {unknown}; "
                         f"options: {', '.join(accepted)}")
    check_values(overrides, spec.cls.__init__, f"{name} option(s)")
    base = overrides.pop("embed_dim", spec.base_embed_dim)
    if multi_embedding:
        sizes = {"embed_dim": base, "num_sets": scale}
    else:
        sizes = {"embed_dim": base * scale, "num_sets": 1}
    return spec.cls(list(field_dims), **sizes, **spec.fixed, **overrides)
