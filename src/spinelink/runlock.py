"""One run per output folder: `OUT/.spinelink.lock` while a run writes there.

The lock file holds the run's pid, host and start time (JSON), and the run holds an
exclusive `flock` on it, so two runs starting at once cannot both take it. A second run
on the folder refuses in one line (JobError, exit 2), naming the holder. A lock left by a
run that is gone (a kill, a lost machine) is stale and is taken over with a warning: on
this host, when no process holds the flock and its pid is not running. A lock of another
host is never taken over (its pid cannot be checked from here): remove the file by hand.
The lock is removed when the run ends, also on an error.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spinelink.errors import JobError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: the pid check alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("spinelink")
LOCK_NAME = ".spinelink.lock"


class OutputFolderBusy(JobError):
    """Another run is writing the same output folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _holder(info: dict) -> str:
    return (f"pid {info.get('pid')} on {info.get('host')}, started "
            f"{info.get('started', 'at an unknown time')}")


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        info = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


def _busy(path: Path, info: dict) -> OutputFolderBusy:
    return OutputFolderBusy(
        f"{path.parent}: another spinelink run ({_holder(info)}) is using this output "
        f"folder; wait for it to end, or remove {path} if no run is using the folder")


def _open_locked(path: Path) -> int:
    """An fd of the lock file on which this process holds the flock (refuses if another
    process holds it)."""
    for _ in range(20):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read(fd)
            os.close(fd)
            raise _busy(path, info) from None
        try:  # the file may have been removed by the holder that just released it
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise _busy(path, {})  # pragma: no cover - the lock kept changing hands


def acquire(out: Path) -> int:
    """Take the lock of `out` (the folder exists); returns the fd to pass to `release`."""
    path = Path(out) / LOCK_NAME
    fd = _open_locked(path)
    try:
        info, host = _read(fd), socket.gethostname()
        if info.get("pid") is not None:
            pid = info.get("pid")
            if info.get("host") != host:
                raise _busy(path, info)
            if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
                raise _busy(path, info)
            log.warning("%s: taking over a stale lock of a run that is no longer running "
                        "(%s)", path, _holder(info))
        mine = {"pid": os.getpid(), "host": host,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(mine) + "\n").encode("utf-8"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def release(out: Path, fd: int) -> None:
    """Remove the lock file (if it is still ours) and drop the flock."""
    path = Path(out) / LOCK_NAME
    try:
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            path.unlink()
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the lock of `out` while the block runs."""
    fd = acquire(out)
    try:
        yield
    finally:
        release(out, fd)
