"""Training runs, run records and sweeps (the paper's protocol)."""

from me_core.train.config import ConfigError, RunConfig
from me_core.train.records import (
                                   append_record,
                                   read_records,
                                   recorded_keys,
                                   records_frame,
                                   summarize,
)
from me_core.train.trainer import (
                                   RunResult,
                                   TrainingError,
                                   evaluate,
                                   open_data,
                                   resolve_device,
                                   train,
)

__all__ = ["RunConfig", "ConfigError", "train", "evaluate", "resolve_device", "open_data",
           "RunResult", "TrainingError", "append_record", "read_records", "recorded_keys",
           "records_frame", "summarize"]
