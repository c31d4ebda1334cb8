"""Training runs, run records and sweeps (the paper's protocol).

``config`` (one run, fully described; ``RunConfig.open_data`` opens its data set),
``trainer`` (the loop), ``checkpoint`` (the run folder on disk), ``records`` (run records),
``device``, ``precision``, ``provenance``, ``sweep`` and ``ray_reaper``.
"""

from me_core.train.config import ConfigError, RunConfig
from me_core.train.device import resolve_device
from me_core.train.records import (
    append_record,
    read_records,
    recorded_keys,
    records_frame,
    summarize,
)
from me_core.train.trainer import RunResult, TrainingError, evaluate, train

__all__ = ["RunConfig", "ConfigError", "train", "evaluate", "resolve_device", "RunResult",
           "TrainingError", "append_record", "read_records", "recorded_keys", "records_frame",
           "summarize"]
