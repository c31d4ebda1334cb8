"""Delimited text files (Criteo, Avazu): a streaming reader with a bad-line policy, and
:func:`preprocess_text`, which reads, tokenises and encodes such a file into the cache.

Arrow's CSV reader parses the file in blocks (gzip is detected from the magic bytes, not the
name); each block is validated with vectorised checks. Malformed lines are handled on purpose:

* blank lines (anywhere, including trailing ones) are not data and are ignored;
* CRLF line ends are accepted (the CR is not part of the last value);
* a wrong column count (for instance a wrong delimiter), a label that is not 0/1, or a
  non-integer in an integer column make the line *bad*. With ``on_bad_line="error"`` (default)
  reading stops with the file, line number and reason; with ``"skip"`` bad lines are dropped,
  counted, and the first few line numbers are reported.

Line numbers of bad lines are found by a plain per-line rescan, which runs only when a bad line
exists (Arrow does not report line numbers in its streaming mode).
"""

from __future__ import annotations

import functools
import gzip
import io
import queue
import re
import threading
import zlib
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from tqdm.auto import tqdm

from me_core.data.cache import EncodedDataset, build_cached, fingerprint_file
from me_core.data.encode import StreamingEncoder
from me_core.data.errors import DataError
from me_core.data.featuremap import FeatureMap

BAD_LINE_POLICIES = ("error", "skip")
# bytes per parsed block: Arrow's parse holds more memory with larger blocks (measured when
# every column was dictionary-encoded while parsing: peak RSS at 4M lines 318 MiB at 2 MiB, 450
# at 4 MiB, 797 at 8 MiB)
BLOCK_SIZE = 2 << 20
_INTEGER = re.compile(r"^-?[0-9]+$")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}

__all__ = ["TextSchema", "BadLines", "read_file", "read_file_parts", "read_blocks", "byte_ranges",
           "open_binary", "check_source", "preprocess_text", "Tokeniser", "BAD_LINE_POLICIES"]


@dataclass(frozen=True)
class TextSchema:
    """Layout of one delimited format."""

    name: str
    columns: tuple[str, ...]
    delimiter: str
    label: str
    integer_columns: tuple[str, ...] = ()
    header: bool = False  # a header line with exactly ``columns`` comes first
    how_to_get: str = ""

    def line_problem(self, parts: list[str]) -> str | None:
        """Why one split line is bad (None if it is fine): the per-line twin of the block checks."""
        if len(parts) != len(self.columns):
            return self._count_problem(self.delimiter.join(parts), len(parts))
        row = dict(zip(self.columns, parts))
        if row[self.label] not in ("0", "1"):
            return f"label {self.label!r} is {row[self.label]!r}, not 0 or 1"
        for name in self.integer_columns:
            if row[name] != "" and not _INTEGER.match(row[name]):
                return f"integer column {name!r} holds {row[name]!r}"
        return None

    def _count_problem(self, line: str, found: int) -> str:
        expected = len(self.columns)
        sep = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        text = f"expected {expected} {sep}-separated columns, found {found}"
        for other, other_name in _DELIMITER_NAMES.items():
            if other != self.delimiter and line.count(other) == expected - 1:
                text += (f" (the line has {expected} {other_name}-separated values: wrong "
                         f"delimiter?)")
                break
        return text


@dataclass
class BadLines:
    """What was skipped: the count and the first few line numbers with their reasons."""

    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)

    def describe(self) -> str:
        shown = "; ".join(f"line {n}: {why}" for n, why in self.first)
        return f"{self.count} bad line(s) skipped" + (f" (first: {shown})" if shown else "")


def is_gzip(path: Path) -> bool:
    """Whether ``path`` starts with gzip's magic bytes (the name does not matter)."""
    with open(path, "rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


@contextmanager
def open_binary(path: Path, progress=None, byte_range: tuple[int, int] | None = None
                ) -> Iterator[io.BufferedIOBase]:
    """Read ``path`` as bytes, decompressing gzip when it starts with gzip's magic bytes;
    ``progress.update(n)`` gets the bytes read from disk (compressed bytes for gzip).
    ``byte_range=(start, end)`` reads only those bytes of a plain (not gzip) file."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if byte_range is not None:
            if gz:
                raise DataError(f"{path}: a gzip file cannot be read in byte ranges")
            raw.seek(byte_range[0])
        stream = raw if progress is None and byte_range is None else _Counting(
            raw, progress, None if byte_range is None else byte_range[1] - byte_range[0])
        if gz:
            with gzip.GzipFile(fileobj=stream, mode="rb") as unpacked:
                yield unpacked
        else:
            yield stream


def byte_ranges(path: Path, parts: int, min_bytes: int = 32 << 20) -> list[tuple[int, int]] | None:
    """Up to ``parts`` consecutive byte ranges of a plain text file, each starting at a line,
    none smaller than about ``min_bytes``; None for a gzip file or one too small to split."""
    size = Path(path).stat().st_size
    parts = min(parts, size // max(min_bytes, 1))
    if parts < 2 or is_gzip(path):
        return None
    cuts = [0]
    with open(path, "rb") as raw:
        for k in range(1, parts):
            raw.seek(max(size * k // parts, cuts[-1]))
            raw.readline()  # to the start of the next line
            cuts.append(min(raw.tell(), size))
    cuts.append(size)
    ranges = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    return ranges if len(ranges) > 1 else None


class _TextLines(io.RawIOBase):
    """Bytes of ``inner`` passed through whole lines at a time, minus the lines that are not
    valid UTF-8 text (binary junk), which are dropped and counted in ``dropped``.

    ASCII blocks (all of Criteo and Avazu) pass with one C-speed check; only a block with other
    bytes is split into lines in Python. Line numbers of dropped lines come from the per-line
    rescan that reports bad lines."""

    def __init__(self, inner, chunk: int = 1 << 20) -> None:
        self.inner, self.chunk = inner, chunk
        self.tail, self.pending, self.offset = b"", b"", 0
        self.dropped, self.eof = 0, False

    def readable(self) -> bool:
        return True

    def _clean(self, data: bytes) -> bytes:
        lines = data.split(b"\n")
        kept = [line for line in lines if _is_text(line)]
        self.dropped += len(lines) - len(kept)
        return b"\n".join(kept)

    def _fill(self) -> None:
        while self.offset >= len(self.pending) and not self.eof:
            chunk = self.inner.read(self.chunk)
            if not chunk:
                self.eof, data, self.tail = True, self.tail, b""
            else:
                data = self.tail + chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    self.tail = data
                    continue
                data, self.tail = data[:cut], data[cut:]
            if not data.isascii():
                data = self._clean(data)
            self.pending, self.offset = memoryview(data), 0  # sliced without copies

    def readinto(self, buffer) -> int:
        self._fill()
        n = min(len(buffer), len(self.pending) - self.offset)
        buffer[:n] = self.pending[self.offset:self.offset + n]
        self.offset += n
        return n


def _is_text(raw: bytes) -> bool:
    if raw.isascii():
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_source(path: Path, schema: TextSchema) -> None:
    """A missing or empty file, or a wrong header, stops here with the path in the message."""
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the {schema.name} file itself")
    if not path.is_file():
        raise DataError(f"{path}: no such file. {schema.how_to_get}".strip())
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    if schema.header:
        _check_header(path, schema)


def _find_bad_lines(path: Path, schema: TextSchema, limit: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if schema.header and number == 1:
                continue
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip("\r"):
                continue
            problem = (schema.line_problem(line.split(schema.delimiter)) if _is_text(raw)
                       else "not UTF-8 text (binary data?)")
            if problem:
                found.append((number, problem))
                if len(found) >= limit:
                    break
    return found


class _Counting(io.RawIOBase):
    """A file wrapper that reports bytes read to a progress bar and stops after ``limit`` bytes."""

    def __init__(self, handle, progress, limit: int | None = None) -> None:
        self.handle, self.progress, self.left = handle, progress, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left is not None:
            buffer = memoryview(buffer)[:self.left]
        n = self.handle.readinto(buffer)
        if self.left is not None:
            self.left -= n
        if self.progress is not None and n:
            self.progress.update(n)
        return n


def _check_header(path: Path, schema: TextSchema) -> None:
    with open_binary(path) as handle:
        first = handle.readline().decode("utf-8", errors="replace").rstrip("\r\n")
    first = first.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as Arrow skips it
    found = first.split(schema.delimiter)
    if found != list(schema.columns):
        raise DataError(f"{path}: line 1 should be the {schema.name} header "
                        f"{schema.delimiter.join(schema.columns)!r}, found {first[:200]!r}")


def read_file(path: Path, schema: TextSchema, on_bad_line: str = "error",
              block_size: int = BLOCK_SIZE, progress=None, report_first: int = 5,
              bad: BadLines | None = None, fields: list[str] | None = None
              ) -> Iterator[tuple[np.ndarray, list[pa.Array]]]:
    """Yield (labels float32, [values of each of ``fields``]) per block of ``path``.

    Integer columns come dictionary-encoded by the parser (each block its own dictionary of
    distinct values, checked to be empty or integer), the others as plain strings; columns not
    in ``fields`` are not converted at all. Parsing and checks run in a background thread,
    overlapping the caller's work. Bad lines are handled by ``on_bad_line`` (see the module
    docstring); the skip report goes into ``bad``.
    """
    path = Path(path)
    _check_policy(on_bad_line)
    check_source(path, schema)
    bad = bad if bad is not None else BadLines()
    rows = [0]
    yield from _read_range(path, schema, on_bad_line, block_size, progress, bad, fields,
                           None, rows, threading.Event())
    _after_reading(path, schema, bad, rows[0], report_first)


def read_file_parts(path: Path, schema: TextSchema, consume, ranges: list[tuple[int, int]],
                    on_bad_line: str = "error", block_size: int = BLOCK_SIZE, progress=None,
                    report_first: int = 5, bad: BadLines | None = None,
                    fields: list[str] | None = None) -> None:
    """:func:`read_file` over the byte ``ranges`` of a plain file (see :func:`byte_ranges`), one
    thread per range: ``consume(k, labels, values)`` is called from range k's thread with its
    blocks in order. The first error in any thread stops all of them and is raised here."""
    path = Path(path)
    _check_policy(on_bad_line)
    check_source(path, schema)
    bad = bad if bad is not None else BadLines()
    stop = threading.Event()
    part_bad = [BadLines() for _ in ranges]
    rows = [0] * len(ranges)

    def run(k: int) -> None:
        counted = [0]
        blocks = _read_range(path, schema, on_bad_line, block_size, progress, part_bad[k],
                             fields, ranges[k], counted, stop)
        try:
            for labels, values in blocks:
                if stop.is_set():
                    return
                consume(k, labels, values)
        except BaseException:
            stop.set()
            raise
        finally:
            blocks.close()
            rows[k] = counted[0]

    with ThreadPoolExecutor(len(ranges)) as pool:
        futures = [pool.submit(run, k) for k in range(len(ranges))]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C while waiting: the threads stop at their next block
            stop.set()
            raise
        errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    bad.count = sum(b.count for b in part_bad)
    _after_reading(path, schema, bad, sum(rows), report_first)


def read_blocks(path: Path, schema: TextSchema, consume,
                ranges: list[tuple[int, int]] | None = None, **options) -> None:
    """Every block of ``path`` through ``consume(k, labels, values)``: over the byte ``ranges``
    in parallel (:func:`read_file_parts`, k = range), or as one stream (:func:`read_file`,
    k = 0) when ``ranges`` is None. ``options``: those of :func:`read_file`."""
    if ranges is None:
        for labels, values in read_file(path, schema, **options):
            consume(0, labels, values)
    else:
        read_file_parts(path, schema, consume, ranges, **options)


def _check_policy(on_bad_line: str) -> None:
    if on_bad_line not in BAD_LINE_POLICIES:
        raise DataError(f"on_bad_line must be one of {BAD_LINE_POLICIES}, got {on_bad_line!r}")


def _after_reading(path: Path, schema: TextSchema, bad: BadLines, rows: int,
                   report_first: int) -> None:
    if bad.count:
        bad.first = _find_bad_lines(path, schema, report_first)
    if rows == 0:
        if bad.count:
            raise DataError(f"{path}: no valid {schema.name} lines ({bad.describe()})")
        raise DataError(f"{path}: the file holds no data lines")


def _read_range(path: Path, schema: TextSchema, on_bad_line: str, block_size: int, progress,
                bad: BadLines, fields: list[str] | None,
                byte_range: tuple[int, int] | None, rows: list[int], stop: threading.Event
                ) -> Iterator[tuple[np.ndarray, list[pa.Array]]]:
    """The blocks of ``path`` (or of its ``byte_range``); counts rows into ``rows[0]``."""
    invalid = [0]

    def on_invalid(row) -> str:
        invalid[0] += 1
        return "skip"

    def fail_or_note(count: int) -> None:
        bad.count += count
        if on_bad_line == "error":
            found = _find_bad_lines(path, schema, 1) or [(0, "malformed line")]
            number, why = found[0]
            raise DataError(f"{path}, line {number}: {why} (to skip bad lines: --on-bad-line "
                            f"skip, or on_bad_line='skip' in Python)")

    names = list(fields) if fields is not None else [c for c in schema.columns
                                                      if c != schema.label]

    def produce(reader) -> Iterator[tuple[np.ndarray, list[pa.Array], int, int]]:
        """Parse and validate blocks: (labels, columns, wrong-column-count lines, bad rows)."""
        while not stop.is_set():
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise DataError(f"{path}: cannot be read as {schema.name} text ({exc})") from exc
            wrong_count, invalid[0] = invalid[0], 0
            if batch.num_rows == 0:
                yield np.empty(0, np.float32), [], wrong_count, 0
                continue
            labels, columns, ok = _validate(batch, schema)
            bad_rows = 0
            if ok is not None:
                bad_rows = int(len(ok) - np.count_nonzero(ok))
                keep = pa.array(ok)
                labels = labels[ok]
                # filtered, and re-encoded so that no dictionary keeps a bad line's values
                columns = {name: pc.dictionary_encode(values.filter(keep).dictionary_decode())
                           if pa.types.is_dictionary(values.type) else values.filter(keep)
                           for name, values in columns.items()}
            yield labels, [columns[name] for name in names], wrong_count, bad_rows
        yield np.empty(0, np.float32), [], invalid[0], 0

    header = schema.header and (byte_range is None or byte_range[0] == 0)
    try:
        with open_binary(path, progress, byte_range) as stream:
            lines = _TextLines(stream)
            try:
                reader = _open_reader(io.BufferedReader(lines, 1 << 20), schema, block_size,
                                      on_invalid, header, names)
            except pa.ArrowInvalid as exc:
                raise DataError(f"{path}: cannot be read as {schema.name} text ({exc})") from exc
            blocks = _in_background(produce(reader))
            dropped = 0
            try:  # stop the parsing thread before the file closes, however we leave
                for labels, columns, wrong_count, bad_rows in blocks:
                    binary, dropped = lines.dropped - dropped, lines.dropped
                    if wrong_count or bad_rows or binary:
                        fail_or_note(wrong_count + bad_rows + binary)
                    rows[0] += len(labels)
                    if len(labels):
                        yield labels, columns
            finally:
                blocks.close()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: the gzip file is truncated or damaged ({exc})") from None


def _in_background(items: Iterator, depth: int = 2) -> Iterator:
    """Run the iterator ``items`` in a thread, ``depth`` items ahead (Arrow releases the GIL
    while parsing, so parsing the next block overlaps the caller's work on this one)."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put((done, exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        while True:
            item, error = box.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


def _open_reader(stream, schema: TextSchema, block_size: int, on_invalid, header: bool,
                 names: list[str]):
    """Arrow's streaming CSV reader: the label and the integer columns dictionary-encoded while
    parsing (their checks then run once per distinct value of a block), the other ``names`` as
    plain strings (the encoder's hash table takes them as they are), the other columns skipped."""
    dictionary = pa.dictionary(pa.int32(), pa.string())
    types = {name: dictionary if name == schema.label or name in schema.integer_columns
             else pa.string() for name in [schema.label, *names]}
    return pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(column_names=list(schema.columns), block_size=block_size,
                                        skip_rows=1 if header else 0),
        parse_options=pa_csv.ParseOptions(delimiter=schema.delimiter, quote_char=False,
                                          ignore_empty_lines=True, invalid_row_handler=on_invalid),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            include_columns=[schema.label, *names],
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _validate(batch: pa.RecordBatch, schema: TextSchema
              ) -> tuple[np.ndarray, dict[str, pa.Array], np.ndarray | None]:
    """Vectorised checks of one block: labels 0/1, integer columns empty or integer.

    The label and the integer columns arrive dictionary-encoded, so each check runs once per
    distinct value of the block and reaches the rows through the indices.
    """
    label = batch.column(schema.label)
    codes = label.indices.to_numpy(zero_copy_only=False)
    good_label = pc.is_in(label.dictionary, value_set=pa.array(["0", "1"])).to_numpy(
        zero_copy_only=False)
    labels = pc.equal(label.dictionary, "1").to_numpy(zero_copy_only=False).astype(
        np.float32)[codes]
    ok = None if good_label.all() else good_label[codes]
    columns: dict[str, pa.Array] = {}
    for name in batch.schema.names:
        if name == schema.label:
            continue
        values = batch.column(name)
        if name in schema.integer_columns:
            good_entry = pc.or_(pc.equal(values.dictionary, ""),
                                pc.match_substring_regex(values.dictionary, _INTEGER.pattern))
            bad_entry = ~good_entry.to_numpy(zero_copy_only=False)
            if bad_entry.any():
                good_row = ~bad_entry[values.indices.to_numpy(zero_copy_only=False)]
                ok = good_row if ok is None else ok & good_row
        columns[name] = values
    return labels, columns, (None if ok is None or ok.all() else ok)


# --- the driver shared by the text formats: read blocks, tokenise, encode, publish a cache ---

Tokeniser = Callable[[str, pa.Array], pa.Array]
PARSE_THREADS = 2  # byte ranges read in parallel (this project's target machine has 2 cores)


def preprocess_text(path: Path, schema: TextSchema, fields: list[str], min_count: int,
                    tokenise: Tokeniser | None = None, *, dataset: str,
                    on_bad_line: str = "error", cache_dir: Path | str | None = None,
                    rebuild: bool = False, progress: bool = True,
                    block_size: int = BLOCK_SIZE, extra_config: dict | None = None,
                    min_part_bytes: int = 32 << 20) -> EncodedDataset:
    """Encode ``path`` (``schema``) into the cache: ``fields`` in order, rare values -> OOV.

    ``tokenise(field, values)`` turns a string array of a field's raw values into tokens of the
    same length (the official transform of a format; it may map several values to one token and
    must return ``values`` itself for a field it leaves alone); it runs once per distinct raw
    value, when the vocabularies are chosen. By default the raw values are the tokens. A plain
    (not gzip) file of at least ``2 * min_part_bytes`` is read in byte ranges by parallel
    threads (same output).
    """
    path = Path(path)
    preprocessing = {"format": schema.name, "fields": fields, "min_count": min_count,
                     "on_bad_line": on_bad_line, **(extra_config or {})}
    check_source(path, schema)  # before fingerprinting: a missing file gets a clear message
    source = fingerprint_file(path)

    def build(workdir: Path) -> FeatureMap:
        # a plain file large enough is read as byte ranges, one thread each (Arrow's parser and
        # hash encoding release the GIL); the rows come out in file order either way
        ranges = byte_ranges(path, PARSE_THREADS, min_part_bytes)
        # the official transforms act on each field's distinct raw values once, at the end
        transforms = ([functools.partial(tokenise, name) for name in fields]
                      if tokenise is not None else None)
        encoder = StreamingEncoder(fields, min_count, workdir, parts=len(ranges or [0]),
                                   transforms=transforms)
        bad = BadLines()
        with tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                  desc=f"read {path.name}", disable=not progress, leave=False) as bar:
            read_blocks(path, schema,
                        lambda k, labels, tokens: encoder.add_chunk(tokens, labels, k), ranges,
                        on_bad_line=on_bad_line, block_size=block_size, progress=bar, bad=bad,
                        fields=fields)
        with tqdm(total=encoder.rows, unit="rows", unit_scale=True, desc="encode",
                  disable=not progress, leave=False) as bar:
            encoded = encoder.finish(workdir / "x.npy", workdir / "y.npy", progress=bar)
        return encoded.feature_map(dataset, fields, preprocessing,
                                   {**source, "path": str(path.resolve())}, bad_lines=bad.count,
                                   first_bad_lines=[n for n, _ in bad.first])

    return build_cached(dataset, source, preprocessing, build, root=cache_dir, rebuild=rebuild)
