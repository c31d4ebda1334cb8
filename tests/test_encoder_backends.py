"""The encoder runs with or without its C extension: with ``ME_CORE_NO_EXTENSION=1`` (or an
install without a C compiler) preprocessing uses the Python twin of the hash table and line
encoder, and must give byte-identical caches; the data tests run again that way, with the
per-line reference as the oracle for both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # a second process per backend

ROOT = Path(__file__).resolve().parents[1]
PREPROCESS = """
import json, sys
from me_core.data import load_dataset
from me_core.data.encode import ENCODER
data = load_dataset(sys.argv[1], sys.argv[2], cache_dir=sys.argv[3])
print(json.dumps({"encoder": ENCODER, "path": str(data.path)}))
"""


def _preprocess(dataset: str, source: Path, cache: Path, python: bool) -> tuple[str, Path]:
    import json

    env = {**os.environ, "ME_CORE_NO_EXTENSION": "1" if python else "0"}
    done = subprocess.run([sys.executable, "-c", PREPROCESS, dataset, str(source), str(cache)],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["encoder"], Path(out["path"])


@pytest.mark.parametrize("dataset", ["criteo", "avazu"])
def test_both_encoders_give_byte_identical_caches(dataset, tmp_path):
    from me_core.data.generate import write_avazu_format, write_criteo_format

    write = write_criteo_format if dataset == "criteo" else write_avazu_format
    source = write(tmp_path / f"{dataset}.txt", 20_000)
    c_encoder, c_path = _preprocess(dataset, source, tmp_path / "c", python=False)
    py_encoder, py_path = _preprocess(dataset, source, tmp_path / "py", python=True)
    assert (c_encoder, py_encoder) == ("C", "Python")
    for name in ("x.npy", "y.npy", "feature_map.json"):
        assert (c_path / name).read_bytes() == (py_path / name).read_bytes(), name
    assert np.load(c_path / "x.npy").shape[0] > 0


def test_the_data_tests_pass_with_the_python_encoder():
    env = {**os.environ, "ME_CORE_NO_EXTENSION": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-m", "not slow and not network", "tests/test_valuetable.py",
                           "tests/test_data.py", "tests/test_table.py", "tests/test_faults.py"],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
