"""What a new user sees when the Spark backend starts (session 49's trial): no Java is
one line naming where spinelink looked, exit 2 (was an internal error, exit 70); the
JVM's compile fallbacks do not fill the console with generated Java source."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "sample_data" / "demo_job.yaml"
pytestmark = pytest.mark.spark
pyspark = pytest.importorskip("pyspark")


def _path_without_java(tmp_path: Path) -> str:
    """A PATH of links to every program on this one's, but java."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not Path(d).is_dir():
            continue
        for f in Path(d).iterdir():
            if f.name != "java" and not (bin_dir / f.name).exists():
                (bin_dir / f.name).symlink_to(f)
    return str(bin_dir)


def test_no_java_is_a_job_problem_naming_what_was_looked_for(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = _path_without_java(tmp_path)
    env["PYTHONPATH"] = str(ROOT / "src")
    res = subprocess.run([sys.executable, "-m", "spinelink", "run", str(DEMO), "--backend",
                          "spark", "--output-dir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert ("error: backend 'spark' could not start Java: JAVA_HOME is not set and there "
            "is no java on PATH; Spark 3.5 runs on Java 8, 11 or 17") in res.stdout + res.stderr
    assert "internal error" not in res.stdout + res.stderr


def test_a_java_home_without_java_is_named(tmp_path):
    env = dict(os.environ, JAVA_HOME=str(tmp_path / "jdk"), PYTHONPATH=str(ROOT / "src"))
    env["PATH"] = _path_without_java(tmp_path)
    res = subprocess.run([sys.executable, "-m", "spinelink", "run", str(DEMO), "--backend",
                          "spark", "--output-dir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"JAVA_HOME is {tmp_path / 'jdk'}, which has no bin/java" in res.stderr


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
                    reason="no Java")
def test_the_engine_silences_the_code_generators_fallback_log(tmp_path):
    from spinelink.backends import open_engine
    from spinelink.backends.spark_support import CODEGEN_LOGGER

    engine = open_engine("spark", work_dir=tmp_path / "work")
    try:
        jvm = engine.spark.sparkContext._jvm
        level = jvm.org.apache.logging.log4j.LogManager.getLogger(CODEGEN_LOGGER).getLevel()
        assert str(level.toString()) == "OFF"
        # the engine still runs SQL
        assert engine.scalar("SELECT 1 + 1") == 2
    finally:
        engine.close()
