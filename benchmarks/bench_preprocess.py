"""Criteo preprocessing: ours (vectorised, streaming) vs a per-line Python implementation and
vs Arrow's parse time alone, on a generated Criteo-format file (SYNTHETIC values, real format).

Prints seconds and lines/s for each, including the whole command ``python -m me_core preprocess
criteo`` (interpreter start and imports included), the ratios (per-line / ours, ours /
parse-only, command vs the per-line reference), checks that ours and the per-line implementation
give identical arrays, and (``--rss``) the peak resident memory of a fresh process preprocessing
files of the given line counts, with the largest over the smallest.
Each timing is the median of ``--repeats`` interleaved runs (per-line: one run).
Run: python benchmarks/bench_preprocess.py [--lines 1000000] [--rss 1000000 4000000 10000000]
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test oracle
from per_line_reference import per_line_criteo  # noqa: E402

from me_core.data.criteo import SCHEMA, preprocess_criteo  # noqa: E402
from me_core.data.generate import write_criteo_format  # noqa: E402
from me_core.data.text import preprocess_text  # noqa: E402


def parse_only(path: Path) -> float:
    """Arrow's streaming parse of every column as strings, nothing else, at Arrow's default
    block size (1 MiB; 2 and 4 MiB parsed as fast on this project's machine, 8 MiB slower)."""
    start = time.perf_counter()
    reader = pa_csv.open_csv(
        path, read_options=pa_csv.ReadOptions(column_names=list(SCHEMA.columns)),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in SCHEMA.columns}))
    rows = sum(batch.num_rows for batch in reader)
    assert rows > 0
    return time.perf_counter() - start


def ours(path: Path, cache: Path):
    start = time.perf_counter()
    data = preprocess_criteo(path, cache_dir=cache, rebuild=True, progress=False)
    return time.perf_counter() - start, data


def command(path: Path, cache: Path) -> float:
    """Wall seconds of the preprocess command in a fresh interpreter, start included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "me_core", "preprocess", "criteo", str(path),
                    "--cache-dir", str(cache), "--rebuild", "--quiet"], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def peak_rss(path: Path, cache: Path) -> float:
    """Peak RSS (MiB) of a fresh process that preprocesses ``path``.

    Read from the child's own VmHWM (Linux): ``ru_maxrss`` would also count the RSS this
    benchmark process had when it forked the child.
    """
    code = ("from me_core.data.criteo import preprocess_criteo\n"
            f"preprocess_criteo({str(path)!r}, cache_dir={str(cache)!r}, rebuild=True, "
            "progress=False)\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "print(int(hwm.split()[1]) / 1024)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def generated(folder: Path, lines: int) -> Path:
    path = folder / f"criteo_like_{lines}.txt"
    if not path.exists():
        start = time.perf_counter()
        write_criteo_format(path.with_suffix(".partial"), lines, seed=0)
        path.with_suffix(".partial").rename(path)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rss", type=int, nargs="*", default=[],
                        help="line counts for the peak-memory measurement (e.g. 1000000 10000000)")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "me-core-bench")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = generated(args.workdir, args.lines)
    cache = args.workdir / "cache"

    start = time.perf_counter()
    ref_x, ref_y, ref_vocab = per_line_criteo(path)
    t_per_line = time.perf_counter() - start
    block = inspect.signature(preprocess_text).parameters["block_size"].default
    t_ours, t_parse, t_command = [], [], []
    for _ in range(args.repeats):
        t_parse.append(parse_only(path))
        seconds, data = ours(path, cache)
        t_ours.append(seconds)
        t_command.append(command(path, cache))
    identical = (np.array_equal(np.asarray(data.x), ref_x) and np.array_equal(
        np.asarray(data.y), ref_y) and data.feature_map.vocabularies == ref_vocab)
    t_ours_med, t_parse_med = statistics.median(t_ours), statistics.median(t_parse)
    t_command_med = statistics.median(t_command)
    result = {"lines": args.lines, "block_size": block, "per_line_s": t_per_line,
              "ours_s": t_ours_med,
              "parse_only_s": t_parse_med, "ours_runs_s": t_ours, "parse_runs_s": t_parse,
              "command_s": t_command_med, "command_runs_s": t_command,
              "speedup_vs_per_line": t_per_line / t_ours_med,
              "ours_over_parse_only": t_ours_med / t_parse_med, "identical": identical}
    print(f"{args.lines:,} lines, ours reading {block >> 20} MiB at a time, median of "
          f"{args.repeats} interleaved runs")
    print(f"{'method':<34}{'seconds':>10}{'lines/s':>14}")
    for name, seconds in (("per-line Python (same rules)", t_per_line),
                          ("me_core (C line encoder)", t_ours_med),
                          ("me_core command, start included", t_command_med),
                          ("Arrow parse only", t_parse_med)):
        print(f"{name:<34}{seconds:10.2f}{args.lines / seconds:14,.0f}")
    print(f"speed-up over per-line: {result['speedup_vs_per_line']:.1f}x (goal >= 8x)")
    print(f"ours / parse-only:      {result['ours_over_parse_only']:.2f}x (goal <= 1.5x)")
    print(f"command, start included: {t_command_med:.2f} s")
    print(f"identical output to the per-line implementation: {identical}")
    for lines in args.rss:
        rss = peak_rss(generated(args.workdir, lines), cache)
        result[f"peak_rss_mib_{lines}"] = rss
        print(f"peak RSS preprocessing {lines:,} lines: {rss:,.0f} MiB", flush=True)
    if len(args.rss) > 1:
        low, high = min(args.rss), max(args.rss)
        ratio = result[f"peak_rss_mib_{high}"] / result[f"peak_rss_mib_{low}"]
        result["rss_largest_over_smallest"] = ratio
        print(f"peak RSS {high:,} / {low:,} lines: {ratio:.2f}x (goal <= 1.15x)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
