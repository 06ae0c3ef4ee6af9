"""Progress on a terminal: DuckDB's bar (with the time remaining) for long statements,
and nothing of it when the output is a file or a pipe (logs, CI)."""
from __future__ import annotations

import os
import pty
import subprocess
import sys

CODE = """
import sys
from spinelink.backends.duckdb_engine import DuckDBEngine
e = DuckDBEngine(threads=1)
print("bar enabled:", e.df("SELECT current_setting('enable_progress_bar') AS v")["v"][0])
if sys.stdout.isatty():  # draw it at once (DuckDB waits 2 s by default)
    e.execute("SET progress_bar_time = 0")
print(e.df("SELECT count(*) AS n FROM range(30000000) t(x) WHERE hash(x) % 7 = 1")["n"][0])
"""
BAR = "\u2595"  # the left edge DuckDB draws around the bar


def _in_terminal(code: str) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-c", code])
    out = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")


def test_duckdb_progress_bar_on_a_terminal_only():
    shown = _in_terminal(CODE)
    assert "bar enabled: True" in shown
    assert BAR in shown and "%" in shown
    piped = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                           check=True)
    assert "bar enabled: False" in piped.stdout
    assert BAR not in piped.stdout + piped.stderr
    assert piped.stdout.split()[-1] == shown.replace("\r", "\n").split()[-1]  # same count
