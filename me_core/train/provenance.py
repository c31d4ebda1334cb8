"""Where a number came from: code version, packages, device, command."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import torch

PACKAGES = ("torch", "numpy", "scikit-learn", "pandas", "pyarrow", "me-core")

__all__ = ["provenance", "device_name", "git_commit"]


def git_commit(root: Path | None = None) -> str:
    """HEAD of the checkout (suffixed '+dirty' with uncommitted changes), or 'unknown'."""
    root = root or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU {platform.machine()} ({platform.processor() or 'unknown'}), " \
           f"{torch.get_num_threads()} torch thread(s)"


def provenance(device: torch.device) -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"git_commit": git_commit(), "packages": versions, "python": platform.python_version(),
            "device": device_name(device), "command": " ".join(sys.argv),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
