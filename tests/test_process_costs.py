"""What the command line does to keep a small run's fixed costs down, and that it changes no
result: the job read once, the cyclic collector set aside during imports, file hashes
reused only while the file is the one hashed, package versions read from metadata headers."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from spinelink import atomic, manifest
from spinelink.cli import collect_from_here

ROOT = Path(__file__).resolve().parents[1]


def test_collector_back_on_after_imports_and_left_alone_where_it_was_on():
    was = gc.get_threshold()
    try:
        gc.disable()  # as spinelink.cli.entry leaves it while the modules are imported
        collect_from_here()
        assert gc.isenabled() and gc.get_threshold() == (10_000, 10, 10)
        gc.set_threshold(*was)
        collect_from_here()  # on already (a test process, a notebook): nothing changes
        assert gc.isenabled() and gc.get_threshold() == was
    finally:
        gc.unfreeze()
        gc.set_threshold(*was)
        gc.enable()


def test_the_program_collects_again_once_a_command_has_imported_its_modules(tmp_path):
    # the program itself, not the click group: `entry` turns the collector off and every
    # command turns it on again (here `validate`, which is not `run`)
    probe = ("import gc, os, sys; import spinelink.cli as c; "
             "orig = os._exit\n"
             "def ex(code):\n"
             "    print('enabled', gc.isenabled(), gc.get_threshold()[0], flush=True)\n"
             "    orig(code)\n"
             "os._exit = ex; sys.argv = ['spinelink', 'validate', sys.argv[1]]; c.entry()")
    job = ROOT / "sample_data" / "demo_job.yaml"
    p = subprocess.run([sys.executable, "-c", probe, str(job)], capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                       cwd=tmp_path)
    assert "enabled True 10000" in p.stdout, p.stdout + p.stderr


def test_file_hash_follows_a_rewritten_file(tmp_path):
    f = tmp_path / "t.parquet"
    atomic.write_bytes(f, b"one")
    first = manifest.file_hash(f)
    assert manifest.file_hash(f) == first
    atomic.write_bytes(f, b"two")  # replaced by a rename, as every output is
    assert manifest.file_hash(f) != first
    with open(f, "ab") as out:  # changed in place (another size)
        out.write(b"!")
    third = manifest.file_hash(f)
    assert third not in (first,) and third == manifest.file_hash(f)
    import hashlib

    assert third == hashlib.sha256(f.read_bytes()).hexdigest()


def test_a_file_is_read_once_by_any_path_and_a_checked_copy_not_at_all(tmp_path, monkeypatch):
    import hashlib

    from spinelink.incremental import reuse

    reads = []
    real = hashlib.sha256
    monkeypatch.setattr(manifest.hashlib, "sha256", lambda *a: reads.append(1) or real(*a))
    f = tmp_path / "input.csv"
    atomic.write_bytes(f, b"id,name\n1,x\n")
    monkeypatch.chdir(tmp_path)
    sha = manifest.file_hash(Path("input.csv"))  # relative, as a job file may name it
    assert manifest.file_hash(f) == sha and len(reads) == 1  # absolute: the same file
    copy = tmp_path / "out" / "input.csv"
    copy.parent.mkdir()
    assert reuse._copy_checked(f, copy, sha)
    assert manifest.file_hash(copy) == sha and len(reads) == 1
    atomic.write_bytes(copy, b"other")  # the copy rewritten: hashed again
    assert manifest.file_hash(copy) == real(b"other").hexdigest() and len(reads) == 2
    assert not reuse._copy_checked(f, tmp_path / "out" / "no.csv", "0" * 64)


def test_recorded_versions_are_the_installed_packages(tmp_path):
    # read from the metadata's headers only: the same as importlib.metadata's parse
    from importlib import metadata

    got = manifest._package_versions()
    for p in manifest.PACKAGES:
        try:
            assert got[p] == metadata.version(p), p
        except metadata.PackageNotFoundError:
            assert got[p] == "not installed"
    # a distribution whose metadata has a long description after the headers
    info = tmp_path / "demo_pkg-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.3\n\n"
                                   "Version: 9.9.9 is not a header\n" + "text\n" * 1000)
    sys.path.insert(0, str(tmp_path))
    try:
        assert manifest._version("demo-pkg") == "1.2.3" == metadata.version("demo-pkg")
    finally:
        sys.path.remove(str(tmp_path))
