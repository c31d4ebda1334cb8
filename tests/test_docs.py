"""Every command and snippet in the docs works as written.

The code blocks of ``README.md``, ``book/*.md`` and ``results/README.md`` are extracted (a fence
of ``bash``, ``text`` or ``python``). Then:

* every ``python -m me_core ...`` line is parsed by the real command line (a renamed or removed
  flag fails here);
* the commands that can run on this machine run, at smoke size: data paths the reader would
  supply (Criteo, Avazu, a table, a checkpoint, a run folder) are replaced by small generated
  files; training gets ``--rows 3000 --epochs 1`` where the data is synthetic and a sweep's lists
  are cut to their first two models and scales and first seed. Book builds (the tests' smoke
  build covers them), Ray clusters and benchmarks are parsed only, each with its reason below;
* the papermill recipe runs as written (smaller iteration count);
* every Python block runs, with the names it leaves to the reader (``field_dims``, ``x``,
  ``model``, ...) defined first;
* every ``make`` target named in the docs exists.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from me_core.__main__ import main, make_parser

pytestmark = [pytest.mark.slow, pytest.mark.network]  # runs every documented command

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.md")),
        "results/README.md"]
ME_CORE = ("python -m me_core ", ".venv/bin/python -m me_core ")
# parsed, not run, and why
NOT_RUN = {
    "book": "builds the book: the smoke build of tests/test_book.py runs the same pipeline",
    "--backend ray": "needs a Ray cluster (--address auto); tests/test_train.py runs the ray "
                     "backend locally",
    "--workers": "one worker per GPU: needs several GPUs",
}


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    language: str
    text: str


def code_blocks() -> list[Block]:
    blocks = []
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            line = text[:match.start()].count("\n") + 1
            blocks.append(Block(name, line, match.group(1), match.group(2)))
    return blocks


def shell_lines(block: Block) -> list[str]:
    """Commands of a shell block: continuations joined, comments dropped, a for loop's body
    taken with its variable set to the first value."""
    joined = block.text.replace("\\\n", " ")
    out, loop = [], {}
    for raw in joined.splitlines():
        line = raw.split(" #")[0].strip() if not raw.strip().startswith("#") else ""
        if not line or line in ("done", "do"):
            continue
        loop_match = re.match(r"for (\w+) in (\S+).*; do$", line)
        if loop_match:
            loop[loop_match.group(1)] = loop_match.group(2)
            continue
        for variable, value in loop.items():
            line = line.replace(f"${variable}", value)
        out.append(line)
    return out


def me_core_commands() -> list[tuple[str, list[str]]]:
    found = []
    for block in code_blocks():
        if block.language not in ("bash", "text", ""):
            continue
        for line in shell_lines(block):
            for prefix in ME_CORE:
                if line.startswith(prefix):
                    argv = [a for a in shlex.split(line[len(prefix):]) if a != "..."]
                    found.append((f"{block.path}:{block.line}: {line[:70]}", argv))
    return found


COMMANDS = me_core_commands()


def test_the_docs_have_commands_and_snippets():
    assert len(COMMANDS) >= 20
    assert sum(b.language == "python" for b in code_blocks()) >= 2


@pytest.mark.parametrize("where, argv", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_every_documented_command_parses(where, argv):
    make_parser().parse_args(argv)


# ----------------------------------------------------------------------- running at smoke size


@pytest.fixture(scope="module")
def reader_files(tmp_path_factory) -> dict[str, Path]:
    """Small stand-ins for the files a reader would have."""
    from me_core.data.generate import write_avazu_format, write_criteo_format
    from me_core.train import RunConfig, train

    folder = tmp_path_factory.mktemp("reader")
    rng = np.random.default_rng(0)
    rows = 3000
    pd.DataFrame({"user": rng.integers(0, 300, rows).astype(str), "ad": rng.integers(0, 40, rows),
                  "site": rng.choice(list("abcdef"), rows), "price": rng.gamma(2, 3, rows),
                  "clicked": rng.integers(0, 2, rows)}).to_csv(folder / "clicks.csv.gz",
                                                               index=False)
    model = nn.Module()
    model.emb = nn.Embedding(500, 8)
    torch.save(model.state_dict(), folder / "model.pt")
    run_root = folder / "runs"
    config = RunConfig(model="dnn", data_options={"rows": 3000}, max_epochs=1, batch_size=512)
    train(config, run_dir=run_root / config.key(), cache_dir=folder / "cache")
    summaries = folder / "summaries"
    from me_core.companion.report import SUMMARY_DIR_ENV, record_finding

    with pytest.MonkeyPatch.context() as patch:  # a build's findings folder
        patch.setenv(SUMMARY_DIR_ENV, str(summaries))
        record_finding("a", "x", figure="Fig. 1", finding="f", paper="p", ours="o",
                       verdict="reproduced", data="d")
    glued = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "x"}},
             "data": {"application/papermill.record/text/markdown": "o: reproduced."}}
    (folder / "toy-out.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "outputs": [glued]}]}))
    return {
        "/tmp/toy-out.ipynb": folder / "toy-out.ipynb",
        "_build/summaries": summaries,
        "/data/criteo/train.txt": write_criteo_format(folder / "train.txt", 3000),
        "/data/avazu/train.gz": write_avazu_format(folder / "train.gz", 3000, compress=True),
        "clicks.csv.gz": folder / "clicks.csv.gz",
        "model.pt": folder / "model.pt",
        "runs/RUN_KEY": run_root / config.key(),
        "report.png": folder / "report.png",
    }


def _values(argv: list[str], flag: str) -> tuple[int, int]:
    """The slice of ``argv`` holding the values of ``flag`` (empty if absent)."""
    if flag not in argv:
        return len(argv), len(argv)
    start = end = argv.index(flag) + 1
    while end < len(argv) and not argv[end].startswith("--"):
        end += 1
    return start, end


def _synthetic(argv: list[str]) -> bool:
    if "--spec" in argv:
        return False
    start, end = _values(argv, "--dataset" if argv[0] == "train" else "--datasets")
    return start == end or "synthetic" in argv[start:end]


def _smoke_argv(argv: list[str], files: dict[str, Path], work: Path) -> list[str]:
    argv = [str(files.get(a, a)) for a in argv]
    command = argv[0]
    if command in ("train", "sweep"):
        if _synthetic(argv):
            argv += ["--rows", "3000"]
        argv += ["--epochs", "1", "--batch-size", "512", "--quiet"]
        for flag, default in (("--records", "records.jsonl"), ("--run-root", "runs")):
            if flag in argv:
                argv[argv.index(flag) + 1] = str(work / Path(argv[argv.index(flag) + 1]).name)
            else:
                argv += [flag, str(work / default)]
    if command == "sweep":
        for flag, keep in (("--models", 2), ("--scales", 2), ("--seeds", 1)):
            start, end = _values(argv, flag)
            argv[start:end] = argv[start:end][:keep]
        if "--spec" in argv:  # the example spec at smoke size: fewer seeds, scales and rows
            spec = work / "spec.yml"
            spec.write_text((ROOT / argv[argv.index("--spec") + 1]).read_text()
                            .replace("seeds: [0, 1, 2]", "seeds: [0]")
                            .replace("scales: [1, 2, 4]", "scales: [1, 2]")
                            .replace("data: {}", "data: {synthetic: {data_options: "
                                                 "{rows: 3000}}}"))
            argv[argv.index("--spec") + 1] = str(spec)
    if command == "preprocess" and argv[1] == "synthetic":
        argv[argv.index("--rows") + 1] = "3000"
    if command in ("preprocess", "train", "sweep"):
        argv += ["--cache-dir", str(work.parent / "cache")]
    return argv


def _why_not_run(argv: list[str]) -> str | None:
    line = " ".join(argv)
    for marker, reason in NOT_RUN.items():
        if argv[0] == marker or (marker.startswith("--") and marker in line):
            return reason
    return None


@pytest.mark.parametrize("where, argv", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_every_documented_command_runs_at_smoke_size(where, argv, reader_files, tmp_path,
                                                     capsys, monkeypatch):
    reason = _why_not_run(argv)
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    smoke = _smoke_argv(argv, reader_files, work)
    if smoke[0] == "results":  # records to read: a small sweep writes them where documented
        for records in smoke[1:]:
            if not Path(records).exists() and records.endswith(".jsonl"):
                assert main(["sweep", "--rows", "3000", "--epochs", "1", "--quiet",
                             "--records", records, "--run-root", str(work / "runs"),
                             "--cache-dir", str(tmp_path / "cache")]) == 0
    code = main(smoke)
    captured = capsys.readouterr()
    assert code == 0, f"{' '.join(smoke)}\n{captured.err[-2000:]}"


def test_the_papermill_recipe_runs_as_written(tmp_path):
    recipe = next(shell_lines(b) for b in code_blocks()
                  if any(line.split()[0].endswith("papermill") for line in shell_lines(b)))
    convert, execute = recipe
    bin_dir = Path(sys.executable).parent
    notebook, out = tmp_path / "toy.ipynb", tmp_path / "toy-out.ipynb"
    convert = convert.replace(".venv/bin/", f"{bin_dir}/").replace("/tmp/toy.ipynb",
                                                                  str(notebook))
    execute = execute.replace(".venv/bin/", f"{bin_dir}/").replace(
        "/tmp/toy.ipynb", str(notebook)).replace("/tmp/toy-out.ipynb", str(out)).replace(
        "-p iterations 2000", "-p iterations 200")
    env = {"ME_CORE_CACHE": str(tmp_path / "cache"), "PATH": f"{bin_dir}:/usr/bin:/bin",
           "HOME": str(tmp_path), "ME_CORE_TORCH_THREADS": "1"}
    for command in (convert, execute):
        done = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, command + "\n" + done.stderr[-3000:]
    assert "seeds = [0, 1]" in out.read_text()
    assert (tmp_path / "cache" / "interactive" / "summaries").is_dir()  # not _build


# ------------------------------------------------------------------------- python snippets


def _prelude() -> dict:
    """The names the README's snippets leave to the reader."""
    field_dims = [10, 20, 30, 40]
    model = nn.Module()
    model.emb = nn.Embedding(60_000, 8)
    return {
        "field_dims": field_dims,
        "x": torch.stack([torch.randint(0, d, (64,)) for d in field_dims], dim=1),
        "y": torch.randint(0, 2, (64,)).float(),
        "bce_with_logits": nn.functional.binary_cross_entropy_with_logits,
        "model": model,
        "set1": torch.randn(300, 8), "set2": torch.randn(300, 8),
    }


PYTHON = [b for b in code_blocks() if b.language == "python"]


@pytest.mark.parametrize("block", PYTHON, ids=[f"{b.path}:{b.line}" for b in PYTHON])
def test_every_python_snippet_runs(block, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    namespace = _prelude()
    exec(compile(block.text, f"{block.path}:{block.line}", "exec"), namespace)


def test_make_targets_in_the_docs_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    named = {line.split()[1] for b in code_blocks() for line in shell_lines(b)
             if line.startswith("make ")}
    assert named and named <= targets, named - targets
    for line in (line for b in code_blocks() for line in shell_lines(b)
                 if "benchmarks/" in line):
        assert (ROOT / line.split()[1]).is_file(), line


def test_the_rerun_page_lists_every_protocol_override_as_the_code_has_it():
    """book/rerun.md's table of protocol overrides is what the chapters accept: the same names,
    defaults and meanings as :data:`me_core.companion.toc.PROTOCOL_OVERRIDES`, in order."""
    from me_core.companion.toc import PROTOCOL_OVERRIDES

    page = (ROOT / "book" / "rerun.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \| (.+?) \|$", page, re.M)
    assert rows == [(name, "None" if default is None else repr(default), meaning)
                    for name, (default, _, meaning) in PROTOCOL_OVERRIDES.items()]
