"""The driver shared by the text formats: read blocks, tokenise, encode, publish a cache."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pyarrow as pa
from tqdm.auto import tqdm

from me_core.data.cache import EncodedDataset, build_cached, fingerprint_file
from me_core.data.encode import StreamingEncoder
from me_core.data.featuremap import FeatureMap
from me_core.data.text import (
    BadLines,
    TextSchema,
    byte_ranges,
    check_source,
    read_file,
    read_file_parts,
)

Tokeniser = Callable[[str, pa.Array], pa.Array]
PARSE_THREADS = 2  # byte ranges read in parallel (this project's target machine has 2 cores)

__all__ = ["preprocess_text", "Tokeniser"]


def preprocess_text(path: Path, schema: TextSchema, fields: list[str], min_count: int,
                    tokenise: Tokeniser | None = None, *, dataset: str,
                    on_bad_line: str = "error", cache_dir: Path | str | None = None,
                    rebuild: bool = False, progress: bool = True,
                    block_size: int = 2 << 20, extra_config: dict | None = None,
                    min_part_bytes: int = 32 << 20) -> EncodedDataset:
    """Encode ``path`` (``schema``) into the cache: ``fields`` in order, rare values -> OOV.

    ``tokenise(field, values)`` turns a parsed column into tokens (the official transform of a
    format); by default the raw values are the tokens. A plain (not gzip) file of at least
    ``2 * min_part_bytes`` is read in byte ranges by parallel threads (same output).
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
        encoder = StreamingEncoder(fields, min_count, workdir, parts=len(ranges or [0]))
        bad = BadLines()
        with tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                  desc=f"read {path.name}", disable=not progress, leave=False) as bar:
            if ranges is None:
                for labels, tokens in read_file(path, schema, on_bad_line, block_size=block_size,
                                                progress=bar, bad=bad, fields=fields,
                                                tokenise=tokenise):
                    encoder.add_chunk(tokens, labels)
            else:
                read_file_parts(path, schema,
                                lambda k, labels, tokens: encoder.add_chunk(tokens, labels, k),
                                ranges, on_bad_line, block_size=block_size, progress=bar,
                                bad=bad, fields=fields, tokenise=tokenise)
        with tqdm(total=encoder.rows, unit="rows", unit_scale=True, desc="encode",
                  disable=not progress, leave=False) as bar:
            encoded = encoder.finish(workdir / "x.npy", workdir / "y.npy", progress=bar)
        return FeatureMap(
            dataset=dataset, field_names=fields,
            cardinalities=[len(v) + 1 for v in encoded.vocabularies],
            vocabularies=encoded.vocabularies, oov_share=encoded.oov_share,
            preprocessing=preprocessing, source={**source, "path": str(path.resolve())},
            rows=encoded.rows, positive_rate=encoded.positive_rate, bad_lines=bad.count,
            first_bad_lines=[n for n, _ in bad.first],
        )

    return build_cached(dataset, source, preprocessing, build, root=cache_dir, rebuild=rebuild)
