"""One run per output folder: `OUT/.spinelink.lock` while a run writes there.

The lock file holds the run's pid, host and start time (JSON), and the run holds an
exclusive `flock` on it, so two runs starting at once cannot both take it. A second run
on the folder refuses in one line (JobError, exit 2), naming the holder. A lock left by a
run that is gone (a kill, a lost machine) is stale and is taken over with a warning: on
this host, when no process holds the flock and its pid is not running. The lock also
records its process's start (`pid_start`: the boot id and the start time in clock ticks
from /proc/<pid>/stat), so a pid the system has since given to an unrelated process
does not keep the lock alive: a live pid whose start differs is a dead owner. Where there
is no /proc (macOS, BSD) `pid_start` is null and the pid alone decides, as it does for a
lock written without it. A lock of another host is never taken over (its pid cannot be
checked from here): remove the file by hand.
The lock is removed when the run ends, also on an error.

`spinelink review serve` holds the same lock shared (several review servers may work on
one folder; their decisions log has its own lock, spinelink.review.store): a run refuses
while a review server is open on its folder, and a review server refuses while a run
writes it. `spinelink review apply` holds it exclusively, as a run does.
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

from spinelink.atomic import WriteError
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
    """Whether process `pid` of this host still runs: it exists and is not a zombie (a
    run killed with SIGKILL whose parent has not reaped it yet: it has released its flock
    and will never write again). The state comes from /proc/<pid>/stat, or `ps` where
    there is no /proc; when neither answers, from the signal check alone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    except (OverflowError, ValueError):  # not a pid at all
        return False
    state = _proc_state(pid)
    if state is None:  # no /proc: ask ps (POSIX), else trust the signal check
        state = _ps_state(pid)
    if state is not None and state[:1] in ("Z", "X"):  # zombie, or dead
        return False
    return state != "gone"


def _stat_fields(pid: int) -> list[bytes]:
    """Fields 3.. of /proc/<pid>/stat (state, ppid, ...; the name before them, in (),
    may hold spaces); OSError (FileNotFoundError: no such process) where it cannot be
    read."""
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    return raw[raw.rfind(b")") + 1:].split()


def _pid_start(pid: int) -> str | None:
    """Who `pid` is, beyond its number: `<boot id>:<start time in clock ticks since
    boot>` from /proc (field 22 of /proc/<pid>/stat); None where /proc cannot say."""
    try:
        rest = _stat_fields(pid)
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    if len(rest) < 20 or not rest[19].isdigit():
        return None
    return f"{boot}:{rest[19].decode('ascii')}"


def _owner_alive(info: dict) -> bool:
    """Whether the process a lock names still runs: its pid is alive and, when the lock
    recorded the process's start (`pid_start`) and /proc gives the pid's now, they agree
    (otherwise the pid was reused by another process and the owner is gone)."""
    pid = info.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return False
    recorded = info.get("pid_start")
    if not isinstance(recorded, str):
        return True  # a lock written without it, or where there is no /proc
    now = _pid_start(pid)
    return now is None or now == recorded


def _proc_state(pid: int) -> str | None:
    """The state letter of `pid` in /proc/<pid>/stat ('gone' when /proc is there but the
    process is not); None where there is no /proc (macOS, BSD) or it cannot be read."""
    try:
        rest = _stat_fields(pid)
    except FileNotFoundError:
        return "gone" if os.path.exists("/proc/self/stat") else None
    except OSError:
        return None
    return rest[0].decode("ascii", "replace") if rest else None


def _ps_state(pid: int) -> str | None:
    """The state of `pid` as `ps -o stat=` gives it (macOS, BSD; None when ps cannot)."""
    import subprocess

    try:
        r = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True,
                           text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0 and not r.stdout.strip():
        return "gone" if r.returncode == 1 else None
    return r.stdout.strip() or None


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
    pid = info.get("pid")
    if pid is None or (info.get("host") == socket.gethostname()
                       and not _owner_alive(info)):
        # held by no run we can name: review servers (`spinelink review serve`) hold it
        return OutputFolderBusy(
            f"{path.parent}: another spinelink process (a review server or a run) is using "
            "this output folder; wait for it to end")
    return OutputFolderBusy(
        f"{path.parent}: another spinelink run ({_holder(info)}) is using this output "
        f"folder; wait for it to end, or remove {path} if no run is using the folder")


def _open_locked(path: Path, shared: bool = False) -> int:
    """An fd of the lock file on which this process holds the flock, exclusive or
    `shared` (refuses if another process holds it in a conflicting way)."""
    for _ in range(20):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise WriteError(f"{path.parent}: cannot write in the output folder "
                             f"({e.strerror or type(e).__name__})") from None
        if fcntl is None:
            return fd
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
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
            if pid != os.getpid() and _owner_alive(info):
                raise _busy(path, info)
            reused = isinstance(pid, int) and pid != os.getpid() and _alive(pid)
            log.warning("%s: taking over a stale lock of a run that is no longer running "
                        "(%s)%s", path, _holder(info),
                        f"; pid {pid} now belongs to another process" if reused else "")
        mine = {"pid": os.getpid(), "host": host,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "pid_start": _pid_start(os.getpid())}
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


def acquire_shared(out: Path) -> int:
    """Take the lock of `out` shared (review servers): refuses while a run holds it, or
    when it names a run that may still be running (another host, or a live pid)."""
    path = Path(out) / LOCK_NAME
    fd = _open_locked(path, shared=True)
    info = _read(fd)
    pid = info.get("pid")
    if pid is not None and pid != os.getpid() and (
            info.get("host") != socket.gethostname()
            or _owner_alive(info)):
        os.close(fd)
        raise _busy(path, info)
    return fd


def release_shared(out: Path, fd: int) -> None:
    """Drop a shared hold; the last holder removes the (empty) lock file."""
    path = Path(out) / LOCK_NAME
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no one else holds it
        if os.fstat(fd).st_size == 0 and os.stat(path).st_ino == os.fstat(fd).st_ino:
            path.unlink()
    except OSError:  # others still hold it (BlockingIOError), or it is gone already
        pass
    finally:
        os.close(fd)


@contextmanager
def output_lock(out: Path, shared: bool = False) -> Iterator[None]:
    """Hold the lock of `out` while the block runs: exclusive (a run, `review apply`) or
    `shared` (review servers)."""
    if shared:
        fd = acquire_shared(out)
        try:
            yield
        finally:
            release_shared(out, fd)
        return
    fd = acquire(out)
    try:
        yield
    finally:
        release(out, fd)
