"""Delimited text files (Criteo, Avazu): :func:`encode_text` reads such a file, checks every
line and hashes its fields in one C loop per block of lines (:func:`StreamingEncoder.add_lines`),
with a bad-line policy; :func:`preprocess_text` turns the result into the cache.

The file is read in blocks of whole lines (gzip is detected from the magic bytes, not the name;
a large plain file is read as byte ranges by parallel threads). Malformed lines are handled on
purpose:

* blank lines (anywhere, including trailing ones) are not data and are ignored;
* CRLF line ends are accepted (the CR is not part of the last value);
* a line that is not UTF-8 text (binary junk), a wrong column count (for instance a wrong
  delimiter), a label that is not 0/1, or a non-integer in an integer column make the line
  *bad*. With ``on_bad_line="error"`` (default)
  reading stops with the file, line number and reason; with ``"skip"`` bad lines are dropped,
  counted, and the first few line numbers are reported.

Line numbers and reasons of bad lines are found by a plain per-line rescan, which runs only when
a bad line exists (the C loop only counts them).
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import threading
import zlib
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
from tqdm.auto import tqdm

from me_core.data.cache import EncodedDataset, build_cached, fingerprint_file
from me_core.data.encode import LineLayout, StreamingEncoder
from me_core.data.errors import DataError
from me_core.data.featuremap import FeatureMap

BAD_LINE_POLICIES = ("error", "skip")
BLOCK_SIZE = 4 << 20  # bytes read at a time (a longer line grows the buffer)
_INTEGER = re.compile(r"^-?[0-9]+$")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}

__all__ = ["TextSchema", "BadLines", "encode_text", "byte_ranges",
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

    def layout(self, fields: list[str]) -> LineLayout:
        """Where the label, ``fields`` and the integer columns lie in a line of this format."""
        index = {name: k for k, name in enumerate(self.columns)}
        missing = [name for name in fields if name not in index]
        if missing:
            raise DataError(f"{self.name} has no column(s) {missing}")
        return LineLayout(columns=len(self.columns), label_column=index[self.label],
                          field_columns=tuple(index[name] for name in fields),
                          integer_columns=tuple(index[name] for name in self.integer_columns),
                          delimiter=self.delimiter)

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


def encode_text(path: Path, schema: TextSchema, fields: list[str], encoder: StreamingEncoder,
                ranges: list[tuple[int, int]] | None = None, on_bad_line: str = "error",
                block_size: int = BLOCK_SIZE, progress=None, report_first: int = 5,
                bad: BadLines | None = None) -> None:
    """Pass 1 of ``encoder`` over every line of ``path``: the label and ``fields`` of each good
    line, part k from byte range k of ``ranges`` (one thread each; see :func:`byte_ranges`), or
    the whole file as part 0. Bad lines are handled by ``on_bad_line`` (see the module
    docstring); the skip report goes into ``bad``. The first error in any thread stops all of
    them and is raised here."""
    path = Path(path)
    _check_policy(on_bad_line)
    check_source(path, schema)
    layout = schema.layout(fields)
    bad = bad if bad is not None else BadLines()
    parts = ranges if ranges is not None else [None]
    part_bad = [0] * len(parts)
    stop = threading.Event()

    def run(k: int) -> None:
        try:
            part_bad[k] = _encode_range(path, schema, layout, encoder, k, parts[k], on_bad_line,
                                        block_size, progress, stop)
        except BaseException:
            stop.set()
            raise

    if len(parts) == 1:
        run(0)
    else:
        with ThreadPoolExecutor(len(parts)) as pool:
            futures = [pool.submit(run, k) for k in range(len(parts))]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:  # Ctrl-C while waiting: the threads stop at their next block
                stop.set()
                raise
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
    bad.count = sum(part_bad)
    _after_reading(path, schema, bad, encoder.rows, report_first)


def _encode_range(path: Path, schema: TextSchema, layout: LineLayout,
                  encoder: StreamingEncoder, part: int, byte_range: tuple[int, int] | None,
                  on_bad_line: str, block_size: int, progress, stop: threading.Event) -> int:
    """Feed the whole lines of ``path`` (or of its ``byte_range``) to ``encoder`` as ``part``, in
    blocks of about ``block_size`` bytes; returns the bad lines skipped."""
    at_start = byte_range is None or byte_range[0] == 0
    skip_header = schema.header and at_start
    buffer = bytearray(max(block_size, 1 << 10))
    kept = bad = 0  # bytes carried over to the next block (a line's start)
    try:
        with open_binary(path, progress, byte_range) as stream:
            eof = False
            while not eof and not stop.is_set():
                if kept == len(buffer):  # one line longer than the buffer
                    buffer.extend(bytes(len(buffer)))
                with memoryview(buffer) as view:
                    got = stream.readinto(view[kept:])
                eof, size = got == 0, kept + got
                start = 0
                if at_start:  # a UTF-8 byte-order mark is not data (as in the header check)
                    if size < 3 and not eof:
                        kept = size
                        continue
                    start = 3 if buffer.startswith(b"\xef\xbb\xbf") else 0
                    at_start = False
                if skip_header:
                    newline = buffer.find(b"\n", start, size)
                    if newline < 0 and not eof:
                        kept = size
                        continue
                    start = size if newline < 0 else newline + 1
                    skip_header = False
                end = size if eof else buffer.rfind(b"\n", start, size) + 1
                if end <= start and not eof:
                    kept = size
                    continue
                with memoryview(buffer) as view:
                    _, found, _ = encoder.add_lines(view[start:end], layout, part,
                                                    stop_at_bad=on_bad_line == "error")
                if found:
                    if on_bad_line == "error":
                        number, why = (_find_bad_lines(path, schema, 1)
                                       or [(0, "malformed line")])[0]
                        raise DataError(f"{path}, line {number}: {why} (to skip bad lines: "
                                        f"--on-bad-line skip, or on_bad_line='skip' in Python)")
                    bad += found
                buffer[:size - end] = buffer[end:size]
                kept = size - end
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: the gzip file is truncated or damaged ({exc})") from None
    return bad


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
        # a plain file large enough is read as byte ranges, one thread each (the C loop that
        # splits and hashes lines releases the GIL); the rows come out in file order either way
        ranges = byte_ranges(path, PARSE_THREADS, min_part_bytes)
        # the official transforms act on each field's distinct raw values once, at the end
        transforms = ([functools.partial(tokenise, name) for name in fields]
                      if tokenise is not None else None)
        encoder = StreamingEncoder(fields, min_count, workdir, parts=len(ranges or [0]),
                                   transforms=transforms)
        bad = BadLines()
        with tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                  desc=f"read {path.name}", disable=not progress, leave=False) as bar:
            encode_text(path, schema, fields, encoder, ranges, on_bad_line=on_bad_line,
                        block_size=block_size, progress=bar, bad=bad)
        with tqdm(total=encoder.rows, unit="rows", unit_scale=True, desc="encode",
                  disable=not progress, leave=False) as bar:
            encoded = encoder.finish(workdir / "x.npy", workdir / "y.npy", progress=bar)
        return encoded.feature_map(dataset, fields, preprocessing,
                                   {**source, "path": str(path.resolve())}, bad_lines=bad.count,
                                   first_bad_lines=[n for n, _ in bad.first])

    return build_cached(dataset, source, preprocessing, build, root=cache_dir, rebuild=rebuild)
