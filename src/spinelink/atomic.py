"""Atomic output files: write under a dot-prefixed temp name beside the target, then rename.

A run killed at any moment (even SIGKILL) leaves under each final name either the previous
complete file or the new complete file, never a partial one. Temp files are named
`.<name>.tmp-<pid>`: hidden, so readers that list a folder skip them, and removed the next
time the same output is written (a leftover from a dead process is cleaned then).

Outputs may hold personal data: files are made readable by the owner only (0600) and the
folders this module creates are 0700.

Durability: each file is flushed to disk (fsync of the file, then of its folder for the
rename). Inside `group_commit()` (a run) the flushes go to one background thread instead,
after the rename, so a run does not wait on the disk after every file; `flush()` waits for
them, and the pipeline calls it before writing `run_manifest.json`, the file that says a run
finished. A power cut before then can leave a renamed file not yet on disk: `--resume`
checks every file against the size and SHA-256 its stage recorded (spinelink.checkpoint)
and reruns the stage. Killing the process (even SIGKILL) needs no flush: the rename alone
leaves the previous or the new complete file.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> write_text(d / "a.json", "{}")
>>> sorted(p.name for p in d.iterdir()), oct((d / "a.json").stat().st_mode & 0o777)
(['a.json'], '0o600')
"""
from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spinelink import faults
from spinelink.errors import OutputError

TMP_MARK = ".tmp-"
FILE_MODE = 0o600
DIR_MODE = 0o700


class WriteError(OutputError):
    """An output could not be written (full disk, file size limit, no permission): one
    line naming the file and the reason (exit 8)."""

    exit_code = 8


# what an I/O error from the engine (DuckDB) says, as the user is told it
_REASONS = ("No space left on device", "File too large", "Disk quota exceeded",
            "Read-only file system", "Permission denied")


def write_error(path: Path, e: BaseException, tmp: Path | None = None) -> WriteError | None:
    """A one-line WriteError for an I/O failure writing `path` (through its temp file
    `tmp`); None for any other error (reading an input, a query, ...)."""
    mine = {str(path), str(path.parent)} | ({str(tmp)} if tmp is not None else set())
    if isinstance(e, WriteError):
        return None
    if isinstance(e, OSError):
        if e.filename is not None and str(e.filename) not in mine:
            return None
        reason = (os.strerror(e.errno) if e.errno else e.strerror) or type(e).__name__
    elif type(e).__name__ == "IOException":  # duckdb.IOException
        text = str(e)
        if tmp is None or str(tmp) not in text:
            return None
        reason = next((r for r in _REASONS if r in text), "I/O error")
    else:
        return None
    return WriteError(f"{path}: cannot write ({reason})")


def temp_path(path: Path) -> Path:
    """The temp name used while `path` is being written by this process."""
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and TMP_MARK in path.name


def ensure_dir(folder: Path) -> None:
    """Create `folder` (and missing parents) readable by the owner only."""
    folder = Path(folder)
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if not p.is_dir():  # an output folder given as a file's path (or under one)
        raise WriteError(f"{folder}: the folder cannot be made: {p} is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as e:
        raise WriteError(f"{folder}: the folder cannot be made "
                         f"({e.strerror or type(e).__name__})") from None
    for m in missing:
        os.chmod(m, DIR_MODE)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover: no write of ours is in flight for this target
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(path: Path) -> list[Path]:
    """Remove leftover temp files of `path` whose writing process is gone."""
    removed = []
    for t in path.parent.glob(f".{path.name}{TMP_MARK}*"):
        pid = t.name.rsplit(TMP_MARK, 1)[1]
        if not pid.isdigit() or not _alive(int(pid)):
            t.unlink(missing_ok=True)
            removed.append(t)
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:  # make a rename durable
        _fsync(folder)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on a folder
        pass


class _Flusher:
    """One background thread flushing renamed files (and their folders) to disk; fsync
    releases the GIL, so the run goes on meanwhile. The first error is kept for `wait`."""

    def __init__(self) -> None:
        self.todo: queue.Queue[Path | None] = queue.Queue()
        self.error: WriteError | None = None
        self.thread = threading.Thread(target=self._work, name="spinelink-flush", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while (path := self.todo.get()) is not None:
            try:
                _fsync(path)
                _fsync_dir(path.parent)
            except FileNotFoundError:
                pass  # replaced or removed since: its successor is flushed in turn
            except OSError as e:
                if self.error is None:
                    self.error = WriteError(
                        f"{path}: cannot write ({e.strerror or type(e).__name__})")
            finally:
                self.todo.task_done()

    def wait(self) -> None:
        self.todo.join()
        if self.error is not None:
            err, self.error = self.error, None
            raise err

    def stop(self) -> None:
        self.todo.put(None)
        self.thread.join()


_flusher: _Flusher | None = None


@contextmanager
def group_commit() -> Iterator[None]:
    """Within: files are flushed to disk in the background (see the module's text); on
    leaving, every flush has finished (an I/O error raises WriteError). Nested: the outer
    one flushes."""
    global _flusher
    if _flusher is not None:
        yield
        return
    _flusher = f = _Flusher()
    try:
        yield
        f.wait()
    finally:
        _flusher = None
        f.stop()


def flush() -> None:
    """Wait until every file written so far is on disk (no-op outside group_commit)."""
    if _flusher is not None:
        _flusher.wait()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it becomes `path` (0600), else it is removed.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "t.txt") as tmp:
    ...     _ = tmp.write_text("x")
    >>> (d / "t.txt").read_text()
    'x'
    """
    path = Path(path)
    try:
        ensure_dir(path.parent)
        clean_stale(path)
    except OSError as e:
        raise WriteError(f"{path}: cannot write ({e.strerror or type(e).__name__})") from None
    tmp = temp_path(path)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        if _flusher is None:
            _fsync(tmp)
        faults.writing()  # test-only hook (spinelink.faults): no cost when unset
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        err = write_error(path, e, tmp)
        if err is not None:
            raise err from None
        raise
    if _flusher is not None:
        _flusher.todo.put(path)
    else:
        _fsync_dir(path.parent)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


def copy_file(src: str | Path, dst: str | Path) -> None:
    """Copy `src` to `dst` atomically."""
    import shutil

    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def leftovers(root: Path) -> list[Path]:
    """Temp files under `root` (for checks after an interrupted run)."""
    return sorted(p for p in Path(root).rglob(f".*{TMP_MARK}*") if p.is_file())
