"""Shared fixtures: tiny jobs built from {filename: content} in a temp folder."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    """Run the real CLI in a subprocess; returns CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "spinelink", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture
def files(tmp_path):
    return lambda mapping: write_files(tmp_path, mapping)
