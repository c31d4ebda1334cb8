"""Vectorised, bounded-memory encoding of categorical columns into per-field integer ids.

Two passes over the data, one text parse (the readers hand over Arrow chunks):

1. ``add_chunk``: each column of a chunk is dictionary-encoded by Arrow (one hash pass in C++);
   the chunk-local codes go to a temporary codes file, the chunk's dictionary (its distinct
   values, in canonical string form) to a temporary Arrow IPC file, its value counts (a bincount
   of the local codes) to a counts file. Several *parts* of the input (byte ranges of one text
   file, read by parallel threads) each write their own files; rows keep the order (part, chunk).
2. ``finish``: per field, the chunk dictionaries are merged in bounded groups into the field's
   distinct values and their total counts; the values seen at least ``min_count`` times are kept
   (ids 1.. in descending frequency, ties by string; id 0 = OOV, see
   :mod:`me_core.data.featuremap`); then every chunk dictionary entry gets its final id (again
   group by group), and every chunk's codes are remapped into ``x.npy`` with one numpy ``take``
   per column (plain reads and writes, two threads).

Memory is bounded by the chunk size, the merge group and the per-field distinct values, never
by the row count of the data: a group holds at least ``group_entries`` dictionary entries and at
least as many as the field has distinct values so far, so the merging work stays linear in the
number of entries. Integer-typed columns are canonicalised to strings on their (small)
dictionaries only, with null -> "NULL" (the official Criteo rule for an empty integer value).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from me_core.data.errors import DataError
from me_core.data.featuremap import FeatureMap

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

    def feature_map(self, dataset: str, field_names: Sequence[str], preprocessing: dict,
                    source: dict, **extra) -> FeatureMap:
        """The cache's FeatureMap of these columns (id 0 = OOV, so D_i = vocabulary + 1);
        ``extra``: the other FeatureMap fields (bad-line counts, details)."""
        return FeatureMap(
            dataset=dataset, field_names=list(field_names),
            cardinalities=[len(v) + 1 for v in self.vocabularies],
            vocabularies=self.vocabularies, oov_share=self.oov_share,
            preprocessing=preprocessing, source=source, rows=self.rows,
            positive_rate=self.positive_rate, **extra)


_HEADER_BYTES = 128
_THREADS = 2
_RELEASE_EVERY = 32  # pass-1 chunks between releases of free heap memory
_STRING = pa.schema([("v", pa.string())])


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


def _glibc():
    """glibc, or None (another C library: memory is then left to it)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


def _release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc ``malloc_trim``).

    numpy's large temporary arrays come from the heap once glibc has raised its mmap threshold,
    and their pages stay resident after they are freed: without a release, peak RSS at 10M
    Criteo-format lines was 376 MiB against 328 at 1M. Called after each merge group and every
    :data:`_RELEASE_EVERY` chunks of pass 1, it keeps RSS flat (1M / 4M / 10M lines: 328 / 343 /
    341 MiB for the whole command). Pinning the mmap threshold instead (every large array
    mapped and unmapped) also keeps it flat, but the page faults cost a quarter of the run time
    (1M lines: 5.3 s against 4.0 s).
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _read_into(fd: int, array: np.ndarray, offset: int) -> np.ndarray:
    """Fill ``array`` with the bytes of ``fd`` from ``offset`` on (no intermediate copies)."""
    view, done = memoryview(array).cast("B"), 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got == 0:
            raise DataError(f"encoder work file ended early ({done} of {len(view)} bytes)")
        done += got
    return array


def _write_at(fd: int, array: np.ndarray, offset: int) -> None:
    """Write ``array``'s bytes to ``fd`` at ``offset`` (no intermediate copies)."""
    view, done = memoryview(array).cast("B"), 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


@dataclass
class _Part:
    """Pass-1 output of one part of the input: codes, labels, dictionaries and counts files."""

    folder: Path
    index: int
    chunk_rows: list[int] = field(default_factory=list)
    sizes: list[list[int]] = field(default_factory=list)  # per chunk, per field: dictionary size
    positives: float = 0.0

    def __post_init__(self) -> None:
        stem = self.folder / f"part{self.index}"
        self.codes_path, self.labels_path = Path(f"{stem}.codes"), Path(f"{stem}.labels")
        self.dicts_path, self.counts_path = Path(f"{stem}.dicts.arrow"), Path(f"{stem}.counts")
        self.codes, self.labels = open(self.codes_path, "wb"), open(self.labels_path, "wb")
        self.counts = open(self.counts_path, "wb")
        self.dicts = pa.ipc.new_file(str(self.dicts_path), _STRING)
        self.lock = threading.Lock()

    def close(self) -> None:
        for handle in (self.codes, self.labels, self.counts, self.dicts):
            handle.close()

    def remove(self) -> None:
        for path in (self.codes_path, self.labels_path, self.dicts_path, self.counts_path):
            path.unlink(missing_ok=True)


@dataclass
class _Chunk:
    """Where one chunk's pass-1 output lies: its part, its position in that part's files, its
    first row in ``x.npy`` and its first entry among all dictionary entries (chunk-major)."""

    part: _Part
    local: int
    rows: int
    row_start: int
    code_offset: int      # bytes into the part's codes file
    count_start: int      # entries into the part's counts file
    entry_start: int      # entries into the global finals file
    sizes: np.ndarray     # per field


class StreamingEncoder:
    """Encode a stream of Arrow chunks (one token array per field plus labels) into ids.

    ``parts``: how many independent input streams call :meth:`add_chunk` (``part=0..parts-1``,
    one thread each); the rows of part 0 come first in the output, then part 1's, and so on.
    """

    def __init__(self, field_names: Sequence[str], min_count: int | Sequence[int],
                 workdir: Path, parts: int = 1, group_entries: int = 1 << 20,
                 transforms: Sequence[Callable[[pa.Array], pa.Array] | None] | None = None
                 ) -> None:
        self.field_names = list(field_names)
        counts = ([int(min_count)] * len(self.field_names) if np.isscalar(min_count)
                  else [int(c) for c in min_count])
        if len(counts) != len(self.field_names) or min(counts) < 1:
            raise DataError(f"min_count must be >= 1 (one value or one per field), got {min_count}")
        if parts < 1 or group_entries < 1:
            raise DataError(f"parts and group_entries must be >= 1, got {parts}, {group_entries}")
        self.min_counts = counts
        self.group_entries = group_entries
        self.transforms = list(transforms) if transforms is not None else [None] * len(counts)
        if len(self.transforms) != len(counts):
            raise DataError(f"transforms: one per field ({len(counts)}), got "
                            f"{len(self.transforms)}")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._parts = [_Part(self.workdir, k) for k in range(parts)]
        self._chunks_added = itertools.count(1)

    @property
    def rows(self) -> int:
        return sum(sum(part.chunk_rows) for part in self._parts)

    def add_chunk(self, tokens: Sequence[pa.Array], labels: np.ndarray, part: int = 0) -> None:
        """Pass 1 on one chunk: ``tokens[f]`` holds field f's raw values (string or integer)."""
        if len(tokens) != len(self.field_names):
            raise DataError(f"expected {len(self.field_names)} token columns, got {len(tokens)}")
        n = len(labels)
        if n == 0:
            return
        codes = np.empty((n, len(tokens)), dtype=np.int32)
        sizes, counts, dictionaries = [], [], []
        for f, column in enumerate(tokens):
            if len(column) != n:
                raise DataError(f"field {self.field_names[f]!r}: {len(column)} values for {n} "
                                f"labels")
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks()
            if pa.types.is_dictionary(column.type) and column.dictionary.null_count == 0 \
                    and pa.types.is_string(column.dictionary.type):
                # as the CSV parser makes them: distinct strings, the chunk's own dictionary
                local = _to_numpy(column.indices)
                dictionary = column.dictionary
            elif pa.types.is_dictionary(column.type):
                deduplicated = pc.dictionary_encode(canonical_strings(column.dictionary))
                local = _to_numpy(deduplicated.indices)[_to_numpy(column.indices)]
                dictionary = deduplicated.dictionary
            else:  # distinct raw values have distinct canonical strings
                encoded = pc.dictionary_encode(column, null_encoding="encode")
                local = _to_numpy(encoded.indices)
                dictionary = canonical_strings(encoded.dictionary)
            codes[:, f] = local
            counts.append(np.bincount(local, minlength=len(dictionary)).astype(np.int64))
            sizes.append(len(dictionary))
            dictionaries.append(dictionary)
        labels = np.asarray(labels, dtype=np.float32)
        target = self._parts[part]
        with target.lock:
            target.codes.write(memoryview(codes))  # the arrays' bytes, not copies
            target.labels.write(memoryview(labels))
            target.counts.write(np.concatenate(counts).tobytes())
            for dictionary in dictionaries:
                target.dicts.write_batch(pa.record_batch([dictionary], schema=_STRING))
            target.positives += float(labels.sum())
            target.chunk_rows.append(n)
            target.sizes.append(sizes)
        if next(self._chunks_added) % _RELEASE_EVERY == 0:  # atomic in CPython
            _release_free_memory()

    def _chunks(self) -> list[_Chunk]:
        chunks, row, entry = [], 0, 0
        row_bytes = 4 * len(self.field_names)
        for part in self._parts:
            part_row = count = 0
            for local, (rows, sizes) in enumerate(zip(part.chunk_rows, part.sizes)):
                sizes = np.asarray(sizes, dtype=np.int64)
                chunks.append(_Chunk(part, local, rows, row, row_bytes * part_row, count, entry,
                                     sizes))
                row, part_row = row + rows, part_row + rows
                count, entry = count + int(sizes.sum()), entry + int(sizes.sum())
        return chunks

    def _groups(self, chunks: list[_Chunk], f: int, known: list[int]
                ) -> Iterator[tuple[list[_Chunk], pa.ChunkedArray, list[np.ndarray]]]:
        """Field f's chunk dictionaries and counts, in groups of at least ``group_entries``
        entries and at least ``known[0]`` (the distinct values so far, kept current by the
        caller) entries."""
        group: list[_Chunk] = []
        entries = 0
        for chunk in chunks:
            group.append(chunk)
            entries += int(chunk.sizes[f])
            if entries >= max(self.group_entries, known[0]) or chunk is chunks[-1]:
                yield group, *self._read_group(group, f)
                group, entries = [], 0

    def _read_group(self, group: list[_Chunk], f: int) -> tuple[pa.ChunkedArray, list[np.ndarray]]:
        num_fields = len(self.field_names)
        values, counts = [], []
        for chunk in group:
            batch = self._readers[chunk.part.index].get_batch(chunk.local * num_fields + f)
            values.append(batch.column(0))
            start = chunk.count_start + int(chunk.sizes[:f].sum())
            counts.append(_read_into(self._count_fds[chunk.part.index],
                                     np.empty(int(chunk.sizes[f]), np.int64), 8 * start))
        return pa.chunked_array(values, pa.string()), counts

    def _merge_field(self, f: int, chunks: list[_Chunk], ids_path: Path
                     ) -> tuple[list[str], np.ndarray]:
        """Field f's vocabulary and the final id of each of its distinct values.

        The chunk dictionaries are merged group by group into the field's distinct values
        (the hash encoding keeps the values seen so far first, in order) with summed counts;
        each entry's index among the distinct values is written to ``ids_path`` at the entry's
        position. Kept values are ordered by (count desc, value asc).
        """
        distinct = pa.array([], pa.string())
        totals = np.zeros(0, dtype=np.int64)
        known = [0]
        fd = os.open(ids_path, os.O_WRONLY)
        try:
            for group, values, counts in self._groups(chunks, f, known):
                encoded = pc.dictionary_encode(pa.chunked_array([distinct, *values.chunks],
                                                                pa.string())).combine_chunks()
                # the distinct values so far keep their ids 0..len(distinct)-1
                ids = _to_numpy(encoded.indices)[len(distinct):]
                position = 0
                for chunk in group:
                    size = int(chunk.sizes[f])
                    _write_at(fd, ids[position:position + size],
                              4 * (chunk.entry_start + int(chunk.sizes[:f].sum())))
                    position += size
                added = np.bincount(ids, weights=np.concatenate(counts),
                                    minlength=len(encoded.dictionary))
                added[:len(totals)] += totals
                totals, distinct = added.astype(np.int64), encoded.dictionary
                known[0] = len(distinct)
                del encoded, ids, added
                _release_free_memory()
        finally:
            os.close(fd)
        token_of_distinct = None
        transform = self.transforms[f]
        if transform is not None:  # raw values -> tokens, counts summed per token
            tokens = transform(distinct)
            if tokens is not distinct:
                encoded = pc.dictionary_encode(canonical_strings(tokens))
                token_of_distinct = _to_numpy(encoded.indices)
                totals = np.bincount(token_of_distinct, weights=totals,
                                     minlength=len(encoded.dictionary)).astype(np.int64)
                distinct = encoded.dictionary
        kept = np.flatnonzero(totals >= self.min_counts[f])
        order = pc.sort_indices(pa.table({"c": totals[kept], "v": distinct.take(pa.array(kept))}),
                                sort_keys=[("c", "descending"), ("v", "ascending")]).to_numpy()
        final_of_distinct = np.zeros(len(distinct), dtype=np.int32)
        final_of_distinct[kept[order]] = np.arange(1, len(kept) + 1, dtype=np.int32)
        if token_of_distinct is not None:
            final_of_distinct = final_of_distinct[token_of_distinct]
        return distinct.take(pa.array(kept[order])).to_pylist(), final_of_distinct

    def finish(self, x_path: Path, y_path: Path, progress=None) -> EncodedColumns:
        """Pass 2: choose vocabularies, remap every chunk, write ``x.npy`` and ``y.npy``."""
        for part in self._parts:
            part.close()
        rows = self.rows
        if rows == 0:
            raise DataError("no data rows to encode")
        num_fields = len(self.field_names)
        chunks = self._chunks()
        ids_path = self.workdir / "distinct-ids.tmp"
        with open(ids_path, "wb") as handle:
            handle.truncate(4 * sum(int(c.sizes.sum()) for c in chunks))
        # read (not memory-map) the dictionaries, so resident memory stays one group's worth
        sources = [pa.OSFile(str(part.dicts_path)) for part in self._parts]
        self._count_fds = [os.open(part.counts_path, os.O_RDONLY) for part in self._parts]
        try:
            self._readers = [pa.ipc.open_file(source) for source in sources]
            # two threads while every field's merge is one group (memory: two groups at most);
            # one when fields need several groups (memory: one field's distinct values)
            largest = max(sum(int(c.sizes[f]) for c in chunks) for f in range(num_fields))
            threads = _THREADS if largest <= self.group_entries else 1
            with ThreadPoolExecutor(threads) as pool:  # Arrow and numpy release the GIL
                merged = list(pool.map(lambda f: self._merge_field(f, chunks, ids_path),
                                       range(num_fields)))
        finally:
            for source in sources:
                source.close()
            for handle in self._count_fds:
                os.close(handle)
        with open(y_path, "wb") as out:
            out.write(_npy_header((rows,), np.float32))
            for part in self._parts:
                with open(part.labels_path, "rb") as labels:
                    while block := labels.read(1 << 24):
                        out.write(block)
        row_bytes = 4 * num_fields
        with open(x_path, "wb") as out:
            out.write(_npy_header((rows, num_fields), np.int32))
            out.truncate(_HEADER_BYTES + rows * row_bytes)
        # remap with plain reads/writes (no memory map: RSS stays bounded)
        fd = os.open(x_path, os.O_WRONLY)
        vocabularies = [vocabulary for vocabulary, _ in merged]
        final_of_distinct = [finals for _, finals in merged]
        ids_fd = os.open(ids_path, os.O_RDONLY)
        code_fds = {id(part): os.open(part.codes_path, os.O_RDONLY) for part in self._parts}

        def remap(chunk: _Chunk) -> np.ndarray:
            n = chunk.rows
            block = _read_into(code_fds[id(chunk.part)], np.empty((n, num_fields), np.int32),
                               chunk.code_offset)
            ids = _read_into(ids_fd, np.empty(int(chunk.sizes.sum()), np.int32),
                             4 * chunk.entry_start)
            start = 0
            for f in range(num_fields):
                size = int(chunk.sizes[f])
                block[:, f] = final_of_distinct[f][ids[start:start + size]][block[:, f]]
                start += size
            _write_at(fd, block, _HEADER_BYTES + chunk.row_start * row_bytes)
            if progress is not None:
                progress.update(n)
            return (block == 0).sum(axis=0)

        try:
            with ThreadPoolExecutor(_THREADS) as pool:
                oov = sum(pool.map(remap, chunks))
        finally:
            for handle in (fd, ids_fd, *code_fds.values()):
                os.close(handle)
        for part in self._parts:
            part.remove()
        ids_path.unlink(missing_ok=True)
        return EncodedColumns(
            x_path=Path(x_path), y_path=Path(y_path), rows=rows,
            vocabularies=vocabularies,
            oov_share=[float(c) / rows for c in oov],
            positive_rate=sum(part.positives for part in self._parts) / rows,
        )
