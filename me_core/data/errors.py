"""The one error type of the data layer: it always names the file, line or parameter at fault."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data or a bad data parameter (message names the file/line/parameter)."""
