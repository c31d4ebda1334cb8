"""Vectorised, bounded-memory encoding of categorical columns into per-field integer ids.

Two passes over the data, one text parse (the readers hand over Arrow chunks):

1. ``add_chunk``: each column of a chunk is dictionary-encoded by Arrow (one hash pass in C++);
   the chunk-local codes are appended to the future ``x.npy`` (128 bytes are reserved for its
   header), the chunk's dictionary (its distinct values, in canonical string form) goes to a
   temporary Arrow IPC file, and its value counts (a bincount of the local codes) are kept.
2. ``finish``: per field, all chunk dictionaries are hash-encoded together once, counts summed,
   and the values seen at least ``min_count`` times kept (ids 1.. in descending frequency, ties
   by string; id 0 = OOV, see :mod:`me_core.data.featuremap`); then every chunk's codes are
   remapped in place with one numpy ``take`` per column (plain reads and writes, two threads).

Memory is bounded by the chunk size plus the per-field vocabularies and chunk dictionaries,
never by the row count of the data itself. Integer-typed columns are canonicalised to strings
on their (small) dictionaries only, with null -> "NULL" (the official Criteo rule for an empty
integer value).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from me_core.data.errors import DataError

NULL_TOKEN = "NULL"

__all__ = ["StreamingEncoder", "EncodedColumns", "canonical_strings", "NULL_TOKEN"]


def canonical_strings(values: pa.Array) -> pa.Array:
    """The string form of a token array: strings as they are, integers as str(int), null 'NULL'."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, NULL_TOKEN)


def _to_numpy(indices: pa.Array) -> np.ndarray:
    return indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


@dataclass
class EncodedColumns:
    """What :meth:`StreamingEncoder.finish` produced (arrays are memory-mapped ``.npy`` files)."""

    x_path: Path
    y_path: Path
    rows: int
    vocabularies: list[list[str]]
    oov_share: list[float]
    positive_rate: float


_HEADER_BYTES = 128
_THREADS = 2


def _npy_header(shape: tuple[int, ...], dtype) -> bytes:
    """A .npy header of exactly 128 bytes (numpy pads headers of 1-D/2-D shapes to 128)."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                 "fortran_order": False, "shape": shape})
    header = buffer.getvalue()
    if len(header) != _HEADER_BYTES:  # pragma: no cover - numpy pads these headers to 128
        raise DataError(f"npy header for shape {shape} is {len(header)} bytes, not 128")
    return header


class StreamingEncoder:
    """Encode a stream of Arrow chunks (one token array per field plus labels) into ids."""

    def __init__(self, field_names: Sequence[str], min_count: int | Sequence[int],
                 workdir: Path) -> None:
        self.field_names = list(field_names)
        counts = ([int(min_count)] * len(self.field_names) if np.isscalar(min_count)
                  else [int(c) for c in min_count])
        if len(counts) != len(self.field_names) or min(counts) < 1:
            raise DataError(f"min_count must be >= 1 (one value or one per field), got {min_count}")
        self.min_counts = counts
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        # pass-1 codes go straight into the future x.npy: 128 bytes reserved for the .npy header
        self._codes_path = self.workdir / "codes.tmp"
        self._codes = open(self._codes_path, "wb")
        self._codes.write(b"\0" * _HEADER_BYTES)
        self._labels_path = self.workdir / "labels.tmp"
        self._labels = open(self._labels_path, "wb")
        self._labels.write(b"\0" * _HEADER_BYTES)
        self._dict_path = self.workdir / "dicts.tmp.arrow"
        self._dict_schema = pa.schema([("v", pa.string())])
        self._dict_writer = pa.ipc.new_file(str(self._dict_path), self._dict_schema)
        # per (chunk, field): the chunk dictionary's size; its value counts go to a file
        self._sizes: list[list[int]] = []
        self._counts_path = self.workdir / "counts.tmp"
        self._counts_file = open(self._counts_path, "wb")
        self._chunk_rows: list[int] = []
        self.rows = 0
        self.positives = 0.0

    def add_chunk(self, tokens: Sequence[pa.Array], labels: np.ndarray) -> None:
        """Pass 1 on one chunk: ``tokens[f]`` holds field f's raw values (string or integer)."""
        if len(tokens) != len(self.field_names):
            raise DataError(f"expected {len(self.field_names)} token columns, got {len(tokens)}")
        n = len(labels)
        if n == 0:
            return
        codes = np.empty((n, len(tokens)), dtype=np.int32)
        sizes = []
        for f, column in enumerate(tokens):
            if len(column) != n:
                raise DataError(f"field {self.field_names[f]!r}: {len(column)} values for {n} "
                                f"labels")
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks()
            if pa.types.is_dictionary(column.type):
                # a tokeniser may map several raw values to one token: deduplicate the dictionary
                tokens = pc.dictionary_encode(canonical_strings(column.dictionary))
                local = _to_numpy(tokens.indices)[_to_numpy(column.indices)]
                dictionary = tokens.dictionary
            else:  # distinct raw values have distinct canonical strings
                encoded = pc.dictionary_encode(column, null_encoding="encode")
                local = _to_numpy(encoded.indices)
                dictionary = canonical_strings(encoded.dictionary)
            codes[:, f] = local
            self._counts_file.write(np.bincount(local, minlength=len(dictionary))
                                    .astype(np.int64).tobytes())
            sizes.append(len(dictionary))
            self._dict_writer.write_batch(pa.record_batch([dictionary], schema=self._dict_schema))
        self._codes.write(codes.tobytes())
        labels = np.asarray(labels, dtype=np.float32)
        self._labels.write(labels.tobytes())
        self.positives += float(labels.sum())
        self._chunk_rows.append(n)
        self._sizes.append(sizes)
        self.rows += n

    def _final_ids(self, f: int, dicts: pa.ipc.RecordBatchFileReader, entry_start: np.ndarray,
                   finals_path: Path) -> list[str]:
        """Final ids of every chunk-dictionary entry of field f (written to ``finals_path`` at
        the entries' positions) and the field's vocabulary.

        All chunk dictionaries of the field are hash-encoded together once (global ids), counts
        are summed with one bincount, kept values are ordered by (count desc, value asc).
        """
        num_fields = len(self.field_names)
        chunks = range(len(self._chunk_rows))
        parts = [dicts.get_batch(c * num_fields + f).column(0) for c in chunks]
        counts = np.concatenate([
            np.fromfile(self._counts_path, dtype=np.int64, count=self._sizes[c][f],
                        offset=8 * int(entry_start[c, f])) for c in chunks])
        encoded = pc.dictionary_encode(pa.chunked_array(parts, pa.string())).combine_chunks()
        del parts
        global_ids = _to_numpy(encoded.indices)
        totals = np.bincount(global_ids, weights=counts, minlength=len(encoded.dictionary))
        kept = np.flatnonzero(totals >= self.min_counts[f])
        values = encoded.dictionary.take(pa.array(kept))
        order = pc.sort_indices(pa.table({"c": totals[kept], "v": values}),
                                sort_keys=[("c", "descending"), ("v", "ascending")])
        order = order.to_numpy()
        final_of_global = np.zeros(len(encoded.dictionary), dtype=np.int32)
        final_of_global[kept[order]] = np.arange(1, len(kept) + 1, dtype=np.int32)
        finals = final_of_global[global_ids]
        fd = os.open(finals_path, os.O_WRONLY)
        try:
            position = 0
            for c in chunks:
                size = self._sizes[c][f]
                os.pwrite(fd, finals[position:position + size].tobytes(),
                          4 * int(entry_start[c, f]))
                position += size
        finally:
            os.close(fd)
        return values.take(pa.array(order)).to_pylist()

    def finish(self, x_path: Path, y_path: Path, progress=None) -> EncodedColumns:
        """Pass 2: choose vocabularies, remap every chunk, write ``x.npy`` and ``y.npy``."""
        self._codes.close()
        self._counts_file.close()
        self._labels.close()
        self._dict_writer.close()
        if self.rows == 0:
            raise DataError("no data rows to encode")
        num_fields = len(self.field_names)
        # flat position of each (chunk, field) dictionary among all entries, chunk-major
        sizes = np.array(self._sizes, dtype=np.int64)
        entry_start = (np.cumsum(sizes.ravel()) - sizes.ravel()).reshape(sizes.shape)
        finals_path = self.workdir / "finals.tmp"
        with open(finals_path, "wb") as handle:
            handle.truncate(4 * int(sizes.sum()))
        # read (not memory-map) the dictionaries, so resident memory stays one field's worth
        with pa.OSFile(str(self._dict_path)) as source:
            dicts = pa.ipc.open_file(source)
            with ThreadPoolExecutor(_THREADS) as pool:  # Arrow and numpy release the GIL
                vocabularies = list(pool.map(
                    lambda f: self._final_ids(f, dicts, entry_start, finals_path),
                    range(num_fields)))
        with open(self._labels_path, "r+b") as handle:
            handle.write(_npy_header((self.rows,), np.float32))
        os.replace(self._labels_path, y_path)
        with open(self._codes_path, "r+b") as handle:
            handle.write(_npy_header((self.rows, num_fields), np.int32))
        os.replace(self._codes_path, x_path)
        # remap in place with plain reads/writes (no memory map: RSS stays bounded)
        starts = np.concatenate([[0], np.cumsum(self._chunk_rows)[:-1]])
        row_bytes = 4 * num_fields
        fd = os.open(x_path, os.O_RDWR)
        finals_fd = os.open(finals_path, os.O_RDONLY)

        def remap(c: int) -> np.ndarray:
            n, offset = self._chunk_rows[c], _HEADER_BYTES + int(starts[c]) * row_bytes
            block = np.frombuffer(bytearray(os.pread(fd, n * row_bytes, offset)),
                                  dtype=np.int32).reshape(n, num_fields)
            first, count = int(entry_start[c, 0]), int(sizes[c].sum())
            finals = np.frombuffer(os.pread(finals_fd, 4 * count, 4 * first), dtype=np.int32)
            for f in range(num_fields):
                start = int(entry_start[c, f]) - first
                block[:, f] = finals[start:start + int(sizes[c, f])][block[:, f]]
            os.pwrite(fd, block.tobytes(), offset)
            if progress is not None:
                progress.update(n)
            return (block == 0).sum(axis=0)

        try:
            with ThreadPoolExecutor(_THREADS) as pool:
                oov = sum(pool.map(remap, range(len(self._chunk_rows))))
        finally:
            os.close(fd)
            os.close(finals_fd)
        for name in ("dicts.tmp.arrow", "counts.tmp", "finals.tmp"):
            (self.workdir / name).unlink(missing_ok=True)
        return EncodedColumns(
            x_path=Path(x_path), y_path=Path(y_path), rows=self.rows,
            vocabularies=vocabularies,
            oov_share=[float(c) / self.rows for c in oov],
            positive_rate=self.positives / self.rows,
        )
