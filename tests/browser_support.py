"""What the real-browser tests share (no tests here): Debian's chromium driven by
Playwright, the real `spinelink review serve` CLI started and its URL read, and the wait
for a page that has saved a decision. The tests are skipped only when chromium is not
installed and CI is not set; in CI they must run."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def skip_without_chromium() -> None:
    if CHROMIUM is None and not os.environ.get("CI"):
        pytest.skip("chromium is not installed (apt-get install chromium)",
                    allow_module_level=True)


def start_server(out: Path, *extra: str) -> tuple[str, subprocess.Popen]:
    """`spinelink review serve OUT ...` in a subprocess: (the page's URL, the process)."""
    proc = subprocess.Popen([sys.executable, "-m", "spinelink", "review", "serve", str(out),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()                      # printed once the page is ready
    m = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
    assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
    return m.group(0), proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def browser_page() -> Iterator:
    """A fresh page in headless chromium; `page.errors` collects the page's script errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium",
                                    args=ARGS)
        pg = browser.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.errors = errors
        try:
            yield pg
        finally:
            browser.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def press_and_wait_saved(page, key: str, done: int) -> None:
    """Press a key and wait until the page says `done` decisions are saved."""
    page.keyboard.press(key)
    page.wait_for_selector(f"body[data-done='{done}'][data-busy='0']", timeout=15_000)
