"""One check for settings given by name (synthetic options, run settings, sweep files, table
options): every key must be a field of the dataclass (or a parameter of the function) that
receives it, and every value must have the field's declared type, or a one-line error names the
key, the value and the rule, before any work starts."""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import types
import typing
from typing import Any, Callable, Iterable, Mapping

_SEQUENCES = (list, tuple, collections.abc.Sequence, collections.abc.Iterable)

__all__ = ["check_known_fields", "check_values", "declared_types"]


def check_known_fields(given: Iterable[str], cls: type, what: str,
                       error: type[Exception] = ValueError, where: str | None = None) -> None:
    """Raise ``error("[where: ]unknown <what> [...]; known: [...]")`` for keys of ``given`` that
    are not fields of the dataclass ``cls``."""
    known = sorted(f.name for f in dataclasses.fields(cls))
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise error(f"{where + ': ' if where else ''}unknown {what} {unknown}; known: {known}")


def declared_types(target: type | Callable) -> dict[str, Any]:
    """The declared type of every field of a dataclass, or of every named parameter of a
    function (``**kwargs`` and unannotated parameters left out)."""
    hints = typing.get_type_hints(target if dataclasses.is_dataclass(target)
                                  else inspect.unwrap(target))
    if dataclasses.is_dataclass(target):
        return {f.name: hints[f.name] for f in dataclasses.fields(target) if f.name in hints}
    return {name: hints[name] for name, p in inspect.signature(target).parameters.items()
            if name in hints and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def _describe(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(k) for k in typing.get_args(kind))
    if origin in _SEQUENCES or kind in (list, tuple):
        args = [a for a in typing.get_args(kind) if a is not Ellipsis]
        return f"a list of {_describe(args[0]).removeprefix('an ').removeprefix('a ')}s" \
            if args else "a list"
    if kind is type(None):
        return "null"
    if kind is typing.Any:
        return "anything"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        kind, getattr(kind, "__name__", str(kind)))


def _matches(value: Any, kind: Any) -> bool:
    origin = typing.get_origin(kind)
    if kind is typing.Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, k) for k in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if origin in _SEQUENCES or kind in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        args = [a for a in typing.get_args(kind) if a is not Ellipsis]
        return not args or all(_matches(v, args[0]) for v in value)
    if origin in (dict, collections.abc.Mapping) or kind is dict:
        return isinstance(value, dict)
    if isinstance(kind, type):
        return isinstance(value, kind)
    return True  # a type this check does not know: left to the receiver


def check_values(given: Mapping[str, Any], target: type | Callable, what: str,
                 error: type[Exception] = ValueError, where: str | None = None) -> None:
    """Refuse unknown keys (:func:`check_known_fields`, for a dataclass; for a function, keys
    that are not its parameters) and values that are not of the declared type of their field
    or parameter, with one line naming the key, the value and the type wanted."""
    lead = f"{where}: " if where else ""
    types_ = declared_types(target)
    if dataclasses.is_dataclass(target):
        check_known_fields(given, target, what, error, where)
    else:
        unknown = sorted(set(given) - set(types_))
        if unknown:
            raise error(f"{lead}unknown {what} {unknown}; known: {sorted(types_)}")
    for name, value in given.items():
        kind = types_.get(name)
        if kind is not None and not _matches(value, kind):
            raise error(f"{lead}{what.rstrip('(s)')} {name}={value!r}: must be "
                        f"{_describe(kind)}")
