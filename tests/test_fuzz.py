"""Every command's every option, fed generated bad values; every artefact kind, damaged.

Each case must end in one of three ways, never a traceback:

* refused at the door: exit 2 and one line ``me_core <command>: error: ...`` naming the option
  (its flag or key) or the value, or argparse's own refusal (``argument --flag: ...``);
* accepted: the command did its work (exit 0), or reached the work, which the test replaces by
  a stub that stops it (training, a book build) so that accepted values cost nothing;
* a damaged artefact: set aside or rebuilt with a one-line warning, or refused naming the file.

The cases are enumerated from the parsers themselves (``make_parser``), so a new option is
fuzzed without editing this file. ``test_fuzz_counts`` prints how many cases each command and
artefact kind had.
"""

from __future__ import annotations

import argparse
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import me_core.companion.book
import me_core.train.trainer
from me_core.cli import main, make_parser
from me_core.train import RunConfig, train

pytestmark = pytest.mark.slow

TINY = {"rows": 3000, "cardinalities": [5, 10, 20, 50], "teacher": "A3", "interacting_pairs": 2}
DATA_OPTIONS = [f"{k}={json.dumps(v)}" for k, v in TINY.items()]

# values of the wrong type, sign, size or kind; paths that are missing, folders or devices
BAD_VALUES = ["abc", "-1", "0", "2.5", "1e400", "", "nan", "999999999999", "/proc/nonexistent/x",
              "{tmp}", "/dev/null", "[1, 2]", "{{}}"]
BAD_PAIRS = ["abc", "=1", "nosuch=1", "rows=abc", "rows=-5", "rows=5000.5", "seed=abc",
             "mlp_dims=[0]", "mlp_dims=abc", "dropout=x", "name=../../evil", "bins=abc",
             "cardinalities=[0]", "max_epochs=abc", "teacher=Z9"]


class Reached(BaseException):
    """Raised by the stubs: the command accepted its input and reached its real work."""


def _stop(*args, **kwargs):
    raise Reached


def _value_options(command: str) -> list[argparse.Action]:
    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [a for a in sub.choices[command]._actions
            if a.option_strings and a.nargs != 0 and a.dest != "help"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """A finished tiny run, its records, a findings folder and a spec: what commands read."""
    root = tmp_path_factory.mktemp("fuzz")
    cache = root / "cache"
    config = RunConfig(model="dnn", data_options=dict(TINY), max_epochs=1, batch_size=512)
    run_dir = root / "runs" / config.key()
    train(config, run_dir=run_dir, records=root / "records.jsonl", cache_dir=cache)
    findings = root / "findings"
    findings.mkdir()
    (findings / "x--y.json").write_text(json.dumps(
        {"chapter": "x", "key": "y", "figure": "Fig. 1", "finding": "f", "paper": "p",
         "ours": "o", "verdict": "reproduced", "data": "d", "reason": "", "n": 5,
         "margin": "", "kind": "paper", "column": ""}))
    spec = root / "spec.yml"
    spec.write_text("datasets: [synthetic]\nmodels: [dnn]\nscales: [1]\nseeds: [0]\n")
    return {"root": root, "cache": cache, "run": run_dir, "records": root / "records.jsonl",
            "findings": findings, "spec": spec}


def _base(command: str, w: dict[str, Path], out: Path) -> list[str]:
    """A command line that works: the fuzzed option is added to it (later flags win)."""
    data = [x for o in DATA_OPTIONS for x in ("--data-option", o)]
    return {
        "train": ["train", "--model", "dnn", "--epochs", "1", "--quiet", *data,
                  "--cache-dir", str(w["cache"]), "--run-root", str(out / "runs"),
                  "--records", str(out / "r.jsonl")],
        "sweep": ["sweep", "--spec", str(w["spec"]), "--dry-run", *data,
                  "--run-root", str(out / "runs"), "--records", str(out / "r.jsonl")],
        "preprocess": ["preprocess", "synthetic", "--rows", "3000", "--quiet",
                       "--cache-dir", str(out / "cache")],
        "analyse": ["analyse", str(w["run"]), "--out", str(out / "a.jsonl"), "--truth-only",
                    "--cache-dir", str(w["cache"])],
        "results": ["results", str(w["records"])],
        "findings": ["findings", str(w["findings"])],
        "diagnose": ["diagnose", str(w["run"])],
        "book": ["book", "--profile", "smoke", "--build-dir", str(out / "book")],
        "launch-notebooks": ["launch-notebooks", "--out", str(out / "launch"),
                             "--repository-url", "https://github.com/you/fork"],
    }[command]


COMMANDS = ["train", "sweep", "preprocess", "analyse", "results", "findings", "diagnose",
            "book", "launch-notebooks"]


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for command in COMMANDS:
        for action in _value_options(command):
            flag = max(action.option_strings, key=len)
            values = BAD_PAIRS if action.metavar == "KEY=VALUE" else BAD_VALUES
            cases += [(command, flag, value) for value in values]
    return cases


CASES = _cases()


def _named(err: str, flag: str, value: str, dest: str) -> bool:
    text = err.lower()
    names = {flag.lstrip("-"), flag.lstrip("-").replace("-", "_"), dest}
    key = value.partition("=")[0] if "=" in value else ""
    return any(n and n.lower() in text for n in names | {key}) or (
        bool(value) and value.lower() in text)


def _run(argv: list[str], capsys) -> tuple[str, str]:
    """('exit N' | 'reached', stderr) of one command line, run in this process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except Reached:
            return "reached", capsys.readouterr().err
        except SystemExit as exc:  # argparse's own refusal
            return f"argparse {exc.code}", capsys.readouterr().err
    return f"exit {code}", capsys.readouterr().err


@pytest.mark.parametrize("command, flag, value", CASES,
                         ids=[f"{c}{f}={v[:20]}" for c, f, v in CASES])
def test_every_option_refuses_bad_values_in_one_line(command, flag, value, world, tmp_path,
                                                     monkeypatch, capsys):
    monkeypatch.setattr(me_core.train.trainer, "_train", _stop)
    monkeypatch.setattr(me_core.companion.book, "claim_build_dir", _stop)
    monkeypatch.chdir(tmp_path)  # relative paths among the values land here
    value = value.format(tmp=tmp_path)
    argv = _base(command, world, tmp_path) + [flag, value]
    outcome, err = _run(argv, capsys)
    assert "Traceback" not in err, err
    dest = next(a.dest for a in _value_options(command) if flag in a.option_strings)
    if outcome == "argparse 2":
        assert f"argument {flag}" in err or flag in err, err
    elif outcome == "exit 2":
        lines = [line for line in err.splitlines() if not line.startswith("me_core: warning")]
        assert len(lines) == 1 and lines[0].startswith(f"me_core {command}: error:"), err
        assert _named(lines[0], flag, value, dest), f"{argv[-2:]}: {lines[0]}"
    else:
        assert outcome in ("exit 0", "reached"), f"{argv[-2:]}: {outcome}: {err}"


# ------------------------------------------------------------------ damaged artefacts


def _damages() -> dict[str, list[str]]:
    return {
        "record.json": ["truncated", "list", "empty object", "stub", "binary"],
        "last.pt": ["truncated", "list", "no optimizer", "wrong shape", "empty"],
        "best.pt": ["truncated", "list", "no model", "wrong shape", "empty"],
        "records.jsonl": ["truncated", "list", "empty config", "binary"],
        "feature_map.json": ["truncated", "list", "no rows", "wrong type", "empty"],
        "vocabularies.arrow": ["truncated", "empty", "deleted"],
        "split": ["truncated", "float", "out of range", "2-D", "empty"],
        "x.npy": ["truncated", "wrong shape", "empty"],
    }


ARTEFACT_CASES = [(kind, damage) for kind, damages in _damages().items() for damage in damages]


def _damage_json(path: Path, damage: str) -> None:
    text = path.read_text()
    payload = json.loads(text.splitlines()[-1]) if path.suffix == ".jsonl" else json.loads(text)
    path.write_text({
        "truncated": text[: len(text) // 2], "list": "[1, 2]", "empty object": "{}",
        "stub": json.dumps({"key": payload.get("key")}), "binary": "\x00\x01\x02",
        "empty config": json.dumps({**payload, "config": {}}), "empty": "",
        "no rows": json.dumps({k: v for k, v in payload.items() if k != "rows"}),
        "wrong type": json.dumps({**payload, "cardinalities": "many"}),
    }[damage])


def _damage_checkpoint(path: Path, damage: str) -> None:
    if damage in ("truncated", "empty"):
        path.write_bytes(path.read_bytes()[: 0 if damage == "empty" else 200])
        return
    state = torch.load(path, weights_only=True)
    if damage == "list":
        state = [1, 2]
    elif damage in ("no optimizer", "no model"):
        state = {k: v for k, v in state.items() if k != damage.split()[1]}
    else:  # wrong shape
        model = dict(state["model"])
        name = next(k for k, v in model.items() if v.ndim == 2)
        model[name] = model[name][:, :1].clone()
        state = {**state, "model": model}
    torch.save(state, path)


def _damage_array(path: Path, damage: str, rows: int) -> None:
    array = np.load(path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "float":
        np.save(path, array.astype(np.float32))
    elif damage == "out of range":
        np.save(path, array + rows)
    elif damage == "2-D":
        np.save(path, array.reshape(-1, 1))
    else:  # wrong shape
        np.save(path, array[:, :1])


@pytest.mark.parametrize("kind, damage", ARTEFACT_CASES,
                         ids=[f"{k}-{d}" for k, d in ARTEFACT_CASES])
def test_every_damaged_artefact_is_named_set_aside_or_rebuilt(kind, damage, world, tmp_path,
                                                              capsys, monkeypatch):
    """Damage a copy of one artefact of a finished (or, for last.pt, an unfinished) run, then
    run the commands that read it: each ends with exit 0 or one error line naming the file."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "w"
    shutil.copytree(world["root"], root)
    run = root / "runs" / world["run"].name
    cache = next(p for p in (root / "cache").iterdir() if p.is_dir() and
                 not p.name.startswith("."))
    records = root / "records.jsonl"
    if kind == "last.pt":
        (run / "record.json").unlink()  # an unfinished run: last.pt is read to resume
    target = {"record.json": run / "record.json", "last.pt": run / "last.pt",
              "best.pt": run / "best.pt", "records.jsonl": records,
              "feature_map.json": cache / "feature_map.json", "x.npy": cache / "x.npy",
              "vocabularies.arrow": cache / "vocabularies.arrow",
              "split": next((cache / "splits").glob("*/train.npy"))}[kind]
    if target.suffix == ".arrow":
        if damage == "deleted":
            target.unlink()
        else:
            target.write_bytes(target.read_bytes()[: 0 if damage == "empty" else 100])
    elif target.suffix in (".json", ".jsonl"):
        _damage_json(target, damage)
    elif target.suffix == ".pt":
        _damage_checkpoint(target, damage)
    else:
        _damage_array(target, damage, TINY["rows"])
    data = [x for o in DATA_OPTIONS for x in ("--data-option", o)]
    commands = [
        ["train", "--model", "dnn", "--epochs", "1", "--batch-size", "512", "--quiet", *data,
         "--cache-dir", str(root / "cache"), "--run-root", str(root / "runs"),
         "--records", str(records)],
        ["results", str(records)],
        ["diagnose", str(run)],
        ["analyse", str(run), "--out", str(root / "a.jsonl"), "--truth-only",
         "--cache-dir", str(root / "cache")],
    ]
    for argv in commands:
        outcome, err = _run(argv, capsys)
        assert "Traceback" not in err, f"{argv[0]}: {err}"
        if outcome == "exit 2":
            lines = [x for x in err.splitlines() if not x.startswith("me_core: warning")]
            assert len(lines) == 1 and lines[0].startswith(f"me_core {argv[0]}: error:"), err
            assert target.name in lines[0] or cache.name in lines[0], f"{argv[0]}: {lines[0]}"
        else:
            assert outcome == "exit 0", f"{argv[0]}: {outcome}: {err}"


def test_fuzz_counts():
    """How many generated cases each command and artefact kind has (printed with -s)."""
    per_command = {c: sum(1 for x in CASES if x[0] == c) for c in COMMANDS}
    per_artefact = {k: len(v) for k, v in _damages().items()}
    print("option cases per command:", per_command, "total", len(CASES))
    print("damage cases per artefact (x4 commands):", per_artefact,
          "total", len(ARTEFACT_CASES))
    assert all(per_command.values()) and len(CASES) > 300
