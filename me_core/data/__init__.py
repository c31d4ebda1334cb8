"""Data sets of the companion. So far: the synthetic CTR benchmark with planted interactions.

Loaders for Criteo, Avazu and MovieLens-100k and the cached format are the data issue's work.
"""

from me_core.data.synthetic import (A3_CARDINALITIES, CRITEO_LIKE_CARDINALITIES, SyntheticConfig,
                                    SyntheticData, make_synthetic_ctr)

__all__ = ["A3_CARDINALITIES", "CRITEO_LIKE_CARDINALITIES", "SyntheticConfig", "SyntheticData",
           "make_synthetic_ctr"]
