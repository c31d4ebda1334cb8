"""The encoder's hash table and line encoder without a C compiler: the same interface and the
same results as the C extension ``me_core.data._valuetable`` (the tests run both against the
per-line oracle), built on pyarrow's dictionary encoding and a Python dict, slower.

:mod:`me_core.data.encode` uses this module when the extension is not built (an install
without a C compiler) or when ``ME_CORE_NO_EXTENSION=1``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ValueTable", "encode_lines", "remap"]

_MAX_IDS = 2**31 - 1


class ValueTable:
    """Distinct byte strings with ids in first-seen order and a count per id."""

    def __init__(self) -> None:
        self._ids: dict[bytes, int] = {}
        self._strings: list[bytes] = []
        self._counts = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._strings)

    def _ids_of(self, distinct: list[bytes]) -> np.ndarray:
        """Ids of ``distinct`` (in order), new strings added in that order."""
        out = np.empty(len(distinct), dtype=np.int64)
        ids, strings = self._ids, self._strings
        for k, value in enumerate(distinct):
            found = ids.get(value)
            if found is None:
                if len(strings) >= _MAX_IDS:
                    raise OverflowError("more than 2^31 - 1 distinct strings in one table")
                found = ids[value] = len(strings)
                strings.append(value)
            out[k] = found
        if len(strings) > len(self._counts):
            grown = np.zeros(max(len(strings), 2 * len(self._counts)), dtype=np.int64)
            grown[:len(self._counts)] = self._counts
            self._counts = grown
        return out

    def encode(self, offsets, data, codes, stride: int = 1, weights=None) -> None:
        """Map the strings ``data[offsets[i]:offsets[i + 1]]`` to their ids, written to
        ``codes[i * stride]``; each string's count grows by 1 or by ``weights[i]``."""
        offsets = np.asarray(offsets)
        if offsets.dtype not in (np.int32, np.int64) or offsets.ndim != 1:
            raise TypeError("offsets must be int32 or int64")
        out = np.asarray(codes)
        if out.dtype != np.int32:
            raise TypeError("codes must be int32")
        if weights is not None and np.asarray(weights).dtype != np.int64:
            raise TypeError("weights must be int64")
        n = max(len(offsets) - 1, 0)
        flat = out.reshape(-1)
        if stride < 1 or (n > 0 and (n - 1) * stride >= len(flat)):
            raise ValueError(f"codes holds {len(flat)} values, too few for {n} strings at "
                             f"stride {stride}")
        if weights is not None and len(weights) < n:
            raise ValueError(f"{len(weights)} weights for {n} strings")
        if n == 0:
            return
        size = len(data)
        starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
        wrong = (starts < 0) | (ends < starts) | (ends > size)
        if wrong.any():
            i = int(np.argmax(wrong))
            raise ValueError(f"offsets {i}..{i + 1} do not lie within the {size} data bytes")
        strings = pa.Array.from_buffers(
            pa.large_binary(), n,
            [None, pa.py_buffer(np.ascontiguousarray(offsets, dtype=np.int64)),
             pa.py_buffer(data if len(data) else b"")])
        encoded = pc.dictionary_encode(strings)  # the dictionary in first-seen order
        if weights is not None:
            weights = np.asarray(weights)[:n]
        local = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        ids = self._ids_of(encoded.dictionary.to_pylist())
        flat[::stride][:n] = ids[local].astype(np.int32)
        counts = np.bincount(local, minlength=len(ids)) if weights is None else np.bincount(
            local, weights=np.asarray(weights, dtype=np.float64), minlength=len(ids))
        np.add.at(self._counts, ids, counts.astype(np.int64))

    def values(self) -> tuple[bytes, bytes]:
        """(starts, data): the distinct strings in id order as an Arrow large_string's
        buffers (starts int64, len + 1 entries)."""
        lengths = np.fromiter((len(s) for s in self._strings), dtype=np.int64,
                              count=len(self._strings))
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return starts.tobytes(), b"".join(self._strings)

    def counts(self) -> bytes:
        """Each id's count, int64, in id order."""
        return self._counts[:len(self._strings)].tobytes()


def remap(codes, lookups, oov) -> None:
    """In place: ``codes[r, f] = lookups[f][codes[r, f]]``; ``oov[f]`` grows by the rows whose
    new id is 0."""
    block, missing = np.asarray(codes), np.asarray(oov)
    if block.dtype != np.int32 or block.ndim != 2 or block.shape[1] != len(lookups) \
            or not len(lookups) or missing.dtype != np.int64 or len(missing) != len(lookups):
        raise ValueError("remap: codes a 2-D int32 block with one column per lookup, oov "
                         "int64 with one entry per lookup")
    lookups = [np.asarray(lookup) for lookup in lookups]
    if any(lookup.dtype != np.int32 for lookup in lookups):
        raise TypeError("remap: lookups must be int32")
    for f, lookup in enumerate(lookups):
        column = block[:, f]
        bad = (column < 0) | (column >= len(lookup))
        if bad.any():
            raise ValueError(f"remap: code {int(column[np.argmax(bad)])} of column {f} has no "
                             f"lookup entry")
    for f, lookup in enumerate(lookups):
        column = block[:, f]
        column[:] = lookup[column]
        missing[f] += int(np.count_nonzero(column == 0))


def _integer_text(value: bytes) -> bool:
    """Empty, or an optional minus sign and at least one digit."""
    digits = value[1:] if value[:1] == b"-" else value
    return value == b"" or (digits != b"" and digits.isdigit() and digits.isascii())


def encode_lines(data, tables, field_columns, integer_columns, label_column: int,
                 delimiter: int, codes, labels, stop_at_bad: bool
                 ) -> tuple[int, int, int, int]:
    """The C extension's ``encode_lines``: split the ``'\\n'``-ended lines of ``data`` at the
    one-byte ``delimiter`` and encode each good line (its label into ``labels[row]``, each field
    column's id in ``tables[f]`` into ``codes[row, f]``); a line ends before its ``'\\n'`` and
    the ``'\\r'`` before that; empty lines are skipped; a line is bad when it is not UTF-8, has
    another number of columns, a label other than 0/1 or a non-integer in an integer column.
    Returns (bytes consumed, rows, bad lines, offset of the first bad line or -1)."""
    raw = bytes(memoryview(data).cast("B"))
    out, label_out = np.asarray(codes), np.asarray(labels)
    capacity = min(out.shape[0], len(label_out))
    columns = len(integer_columns)
    flags = [bool(v) for v in bytes(memoryview(integer_columns).cast("B"))]
    fields = [int(c) for c in np.asarray(field_columns)]
    sep = bytes([delimiter])
    values: list[list[bytes]] = [[] for _ in fields]
    rows = bad = 0
    first_bad = -1
    p, end = 0, len(raw)
    while p < end and rows < capacity:
        newline = raw.find(b"\n", p)
        nxt = newline + 1 if newline >= 0 else end
        line = raw[p:newline if newline >= 0 else end].rstrip(b"\r")
        if not line:
            p = nxt
            continue
        parts = line.split(sep)
        good = len(parts) == columns
        if good and not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                good = False
        if good:
            good = parts[label_column] in (b"0", b"1") and all(
                _integer_text(parts[c]) for c in range(columns) if flags[c])
        if not good:
            bad += 1
            if first_bad < 0:
                first_bad = p
            if stop_at_bad:
                break
            p = nxt
            continue
        label_out[rows] = 1.0 if parts[label_column] == b"1" else 0.0
        for f, c in enumerate(fields):
            values[f].append(parts[c])
        rows += 1
        p = nxt
    ids = np.empty(rows, dtype=np.int32)
    for f, table in enumerate(tables):
        if rows:
            strings = pa.array(values[f], type=pa.large_binary())
            _, offsets, buffer = strings.buffers()
            table.encode(np.frombuffer(offsets, np.int64)[:rows + 1],
                         buffer.to_pybytes() if buffer is not None else b"", ids)
            out[:rows, f] = ids
    return p, rows, bad, first_bad
