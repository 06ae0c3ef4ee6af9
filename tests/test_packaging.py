"""A package that installs (issue 13): a wheel built from the repository, installed
non-editable, carries sql/, linkage_models/ and the review page, and runs the demo job
from another folder. The installed copy is put first on PYTHONPATH (its dependencies come
from the current environment), and the test checks that it, not src/, is imported."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow
BUILD_INPUTS = ("src", "sql", "linkage_models", "pyproject.toml", "setup.py", "MANIFEST.in",
                "README.md")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def _isolation() -> list[str]:
    """Build with the current environment's setuptools when it is recent enough (no
    download); otherwise pip fetches the build requirements from the package index."""
    try:
        major = int(metadata.version("setuptools").split(".")[0])
    except metadata.PackageNotFoundError:
        return []
    return ["--no-build-isolation"] if major >= 68 and importlib.util.find_spec("wheel") else []


def _pip(*args: str, cwd: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """site folder holding spinelink installed from a wheel built from a clean copy of the
    repository (no build/ or egg-info left in the working tree)."""
    d = tmp_path_factory.mktemp("packaging")
    repo = d / "repo"
    repo.mkdir()
    for name in BUILD_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=SKIP)
        else:
            shutil.copy2(src, repo / name)
    _pip("wheel", str(repo), "--no-deps", "-w", str(d / "dist"), *_isolation(), cwd=d)
    wheels = list((d / "dist").glob("spinelink-*.whl"))
    assert len(wheels) == 1, wheels
    _pip("install", "--no-deps", "--target", str(d / "site"), str(wheels[0]), cwd=d)
    return d / "site"


def _env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}


def test_wheel_carries_sql_models_and_review_page(installed):
    pkg = installed / "spinelink"
    assert (pkg / "_data" / "sql" / "deterministic").is_dir()
    for f in ("person_auto.yaml", "match_keys/default.yaml", "code_lists/versions.yaml",
              "nicknames.csv"):
        assert (pkg / "_data" / "linkage_models" / f).is_file(), f
    assert not (pkg / "_data" / "linkage_models" / "build_nicknames.py").exists()
    for f in ("index.html", "common.js", "app.js", "app.css", "coding.html", "coding.js"):
        assert (pkg / "review" / "static" / f).is_file(), f
    assert list((pkg / "sample" / "data").glob("*.forenames.csv"))
    assert (pkg / "py.typed").is_file()


def test_installed_wheel_runs_the_demo_from_another_folder(installed, tmp_path):
    shutil.copytree(ROOT / "sample_data", tmp_path / "job", ignore=SKIP)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(installed)
    probe = subprocess.run(
        [sys.executable, "-c", "import json, spinelink, spinelink.config as c, "
         "spinelink.sqlfiles as s, spinelink.review.server as r; print(json.dumps("
         "[spinelink.__file__, str(c.MODELS_DIR), str(s.SQL_DIR), str(r.STATIC)]))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    pkg = (installed / "spinelink").resolve()
    for path in json.loads(probe.stdout):
        assert Path(path).resolve().is_relative_to(pkg), path  # the installed copy, not src/
    r = subprocess.run([sys.executable, "-m", "spinelink", "run", "../job/demo_job.yaml",
                        "--output-dir", "out"], cwd=elsewhere, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (elsewhere / "out" / "integrated.parquet").is_file()
    assert (elsewhere / "out" / "report.html").is_file()
