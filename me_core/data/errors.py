"""The data layer's error (it always names the file, line or parameter at fault) and warning."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data or a bad data parameter (message names the file/line/parameter)."""


class DataWarning(UserWarning):
    """The data was read, but not necessarily as the user meant (e.g. integer ids bucketed)."""
