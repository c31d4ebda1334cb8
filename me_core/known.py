"""One check for settings given by name (synthetic options, run settings, sweep files): every key
must be a field of the dataclass that receives them, or a one-line error names the strays."""

from __future__ import annotations

import dataclasses
from typing import Iterable

__all__ = ["check_known_fields"]


def check_known_fields(given: Iterable[str], cls: type, what: str,
                       error: type[Exception] = ValueError, where: str | None = None) -> None:
    """Raise ``error("[where: ]unknown <what> [...]; known: [...]")`` for keys of ``given`` that
    are not fields of the dataclass ``cls``."""
    known = sorted(f.name for f in dataclasses.fields(cls))
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise error(f"{where + ': ' if where else ''}unknown {what} {unknown}; known: {known}")
