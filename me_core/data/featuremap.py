"""The contract between data and models: field names, cardinalities, vocabularies, provenance.

Every encoded data set (Criteo, Avazu, MovieLens-100k, synthetic, your own table) carries one
:class:`FeatureMap`. Value ids are per field: id 0 is the field's out-of-vocabulary (OOV) index
(values seen fewer than ``min_count`` times, or never seen), ids 1..D_i-1 are the kept values in
descending order of frequency (ties broken by the value's string form). So D_i = #kept + 1,
as in the official code; the official code puts OOV last and orders kept values by set
iteration order, which is arbitrary. Models only see ids, so the permutation changes nothing but
readability (row 1 of every table is the field's most frequent value).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from me_core.data.errors import DataError

OOV_INDEX = 0
FORMAT_VERSION = 1
VOCABULARY_FILE = "vocabularies.arrow"  # beside feature_map.json, which names it

__all__ = ["FeatureMap", "Vocabularies", "OOV_INDEX", "FORMAT_VERSION", "VOCABULARY_FILE"]

# the JSON types of the keys a reader relies on (checked when a cache is opened); vocabularies
# are a list of lists inline (caches written before the vocabulary file) or that file's name
_TYPES = {"dataset": str, "field_names": list, "cardinalities": list, "vocabularies": (list, str),
          "oov_share": list, "rows": int, "positive_rate": (int, float)}


class Vocabularies(Sequence):
    """The kept values of every field, in an Arrow file (one list of strings per field) that
    is memory-mapped and read only where a value is asked for: opening a cache of millions of
    values costs no Python string per value. ``vocabularies[f]`` is field f's list."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        self.path = Path(path)
        try:
            with pa.memory_map(str(self.path)) as source:
                table = pa.ipc.open_file(source).read_all()
            chunks = table.column("values").chunks
            column = chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)
            if not pa.types.is_list(column.type) or not pa.types.is_string(column.type.value_type):
                raise ValueError(f"its column is {column.type}, not list<string>")
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            raise DataError(f"{self.path}: unreadable vocabulary file ({exc}); delete the "
                            f"cache folder to rebuild it") from None
        self._values = column

    @staticmethod
    def write(path: Path, vocabularies: Sequence) -> None:
        """Write one list of strings per field to ``path`` (an Arrow IPC file)."""
        import pyarrow as pa

        if isinstance(vocabularies, Vocabularies):
            column = vocabularies._values
        else:
            column = pa.array([list(v) for v in vocabularies], type=pa.list_(pa.string()))
        with pa.OSFile(str(path), "wb") as sink, \
                pa.ipc.new_file(sink, pa.schema([("values", column.type)])) as writer:
            writer.write_table(pa.table({"values": column}))

    def lengths(self) -> list[int]:
        return self._values.value_lengths().to_pylist()

    def value(self, field_index: int, position: int) -> str:
        """The ``position``-th kept value of field ``field_index`` (one string read)."""
        return self._values[field_index].values[position].as_py()

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._values[index].values.to_pylist()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Vocabularies):
            return self._values.equals(other._values)
        return isinstance(other, Sequence) and list(self) == [list(v) for v in other]

    def __repr__(self) -> str:
        return f"Vocabularies({self.path}, {len(self)} fields, {sum(self.lengths())} values)"


@dataclass
class FeatureMap:
    """What a model and a reader need to know about an encoded data set."""

    dataset: str
    field_names: list[str]
    cardinalities: list[int]
    vocabularies: Sequence[Sequence[str]]  # kept values per field, index i-1 <-> id i (0 = OOV)
    oov_share: list[float]  # share of rows whose value is OOV, per field
    preprocessing: dict[str, Any]  # the config the cache key was computed from
    source: dict[str, Any]  # the source fingerprint (paths, sizes, hashes)
    rows: int
    positive_rate: float
    bad_lines: int = 0
    first_bad_lines: list[int] = field(default_factory=list)
    split: dict[str, int] = field(default_factory=dict)  # sizes of train/valid/test
    details: dict[str, Any] = field(default_factory=dict)  # data-set specific (e.g. Bayes AUC)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        n = len(self.field_names)
        if not (len(self.cardinalities) == len(self.vocabularies) == len(self.oov_share) == n):
            raise DataError("FeatureMap: field_names, cardinalities, vocabularies and oov_share "
                            "must have one entry per field")
        lengths = (self.vocabularies.lengths() if isinstance(self.vocabularies, Vocabularies)
                   else [len(v) for v in self.vocabularies])
        for name, d, kept in zip(self.field_names, self.cardinalities, lengths):
            if d != kept + 1:
                raise DataError(f"FeatureMap: field {name!r} has cardinality {d} but "
                                f"{kept} kept values (expected {kept + 1} with OOV)")

    @property
    def num_fields(self) -> int:
        return len(self.field_names)

    @property
    def field_dims(self) -> list[int]:
        """Cardinalities in the form ``me_core.models.build`` takes."""
        return list(self.cardinalities)

    def decode(self, field_index: int, value_id: int) -> str:
        """The raw value behind ``value_id`` of field ``field_index`` ('<OOV>' for id 0)."""
        if value_id == OOV_INDEX:
            return "<OOV>"
        if isinstance(self.vocabularies, Vocabularies):
            return self.vocabularies.value(field_index, value_id - 1)
        return self.vocabularies[field_index][value_id - 1]

    def field_kinds(self) -> list[str]:
        """How each field was encoded, in words: categorical, or numeric and its bucketing."""
        rules = self.preprocessing
        numeric = set(rules.get("numeric") or [])
        if rules.get("format") == "table" and numeric:
            rule = rules.get("numeric_rule", "quantile")
            how = (f"numeric: {rules.get('bins')} quantile bins" if rule == "quantile"
                   else "numeric: Criteo ln^2 rule")
            return [how if name in numeric else "categorical" for name in self.field_names]
        if rules.get("integer_rule"):  # Criteo's integer columns I1..I13
            return [f"integer: {rules['integer_rule']}" if name.startswith("I") and
                    name[1:].isdigit() else "categorical" for name in self.field_names]
        return ["categorical"] * self.num_fields

    def field_table(self):
        """One row per field: name, how it was encoded, cardinality, OOV share (pandas)."""
        import pandas as pd

        return pd.DataFrame({"field": self.field_names, "kind": self.field_kinds(),
                             "cardinality": self.cardinalities, "oov_share": self.oov_share})

    def _payload(self, vocabularies: Any) -> dict[str, Any]:
        payload = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict deep-copies
        return {**payload, "vocabularies": vocabularies}

    def to_json(self) -> str:
        """The whole map as JSON, vocabularies inline (:meth:`save` writes them to a file)."""
        return json.dumps(self._payload([list(v) for v in self.vocabularies]),
                          ensure_ascii=False)

    def save(self, folder: Path) -> None:
        """Write ``feature_map.json`` into ``folder``, the vocabularies beside it in
        ``vocabularies.arrow`` (read back memory-mapped by :meth:`load`)."""
        folder = Path(folder)
        Vocabularies.write(folder / VOCABULARY_FILE, self.vocabularies)
        (folder / "feature_map.json").write_text(
            json.dumps(self._payload(VOCABULARY_FILE), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, where: str = "feature map",
                  folder: Path | None = None) -> "FeatureMap":
        """The map in ``text``; vocabularies named as a file are opened in ``folder``."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc})") from exc
        if not isinstance(payload, dict):
            raise DataError(f"{where}: holds a JSON {type(payload).__name__}, not a feature map")
        if payload.get("format_version") != FORMAT_VERSION:
            raise DataError(f"{where}: format version {payload.get('format_version')} is not "
                            f"{FORMAT_VERSION}; delete the cache folder to rebuild it")
        names = {f.name: f for f in fields(cls)}
        missing = [n for n, f in names.items() if n not in payload
                   and f.default is MISSING and f.default_factory is MISSING]
        unknown = sorted(set(payload) - set(names))
        if missing or unknown:
            raise DataError(f"{where}: " + (f"lacks {', '.join(missing)}" if missing else
                                            f"unknown keys {', '.join(unknown)}"))
        for name, kind in _TYPES.items():
            value = payload[name]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise DataError(f"{where}: {name} is a {type(value).__name__}, not a "
                                f"{getattr(kind, '__name__', 'number')}")
        if payload["rows"] < 1 or any(not isinstance(d, int) or d < 1
                                       for d in payload["cardinalities"]):
            raise DataError(f"{where}: rows and cardinalities must be positive integers")
        if isinstance(payload["vocabularies"], str):
            name = payload["vocabularies"]
            if folder is None or name != VOCABULARY_FILE:
                raise DataError(f"{where}: vocabularies name the file {name!r}, not "
                                f"{VOCABULARY_FILE!r} beside it")
            payload["vocabularies"] = Vocabularies(Path(folder) / name)
            if len(payload["vocabularies"]) != len(payload["field_names"]):
                raise DataError(f"{payload['vocabularies'].path}: "
                                f"{len(payload['vocabularies'])} vocabularies for "
                                f"{len(payload['field_names'])} fields; delete the cache "
                                f"folder to rebuild it")
        return cls(**payload)

    @classmethod
    def load(cls, path: Path) -> "FeatureMap":
        """Read ``feature_map.json`` (and the vocabulary file beside it, memory-mapped)."""
        path = Path(path)
        return cls.from_json(path.read_text(encoding="utf-8"), where=str(path),
                             folder=path.parent)
