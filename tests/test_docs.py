"""Docs that cannot drift: every command and option of the `spinelink` CLI appears in the
README, and the README's Python examples run, as written, with the output they show.

Coverage is read from the click group itself, so a new command or option fails here
until the README mentions it: the command as `spinelink <command>` on some line, and each
of its options (long form) on a line that names the command (a usage example, or a row of
the command-line reference).
"""
from __future__ import annotations

import doctest
import re

import click
import pytest
from conftest import ROOT

from spinelink.cli import main

README = ROOT / "README.md"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{path} ")
    return out


def _flags(cmd: click.Command) -> list[str]:
    """Each option's long flag (or its only flag), --help left out."""
    flags = []
    for p in cmd.params:
        if isinstance(p, click.Option):
            names = [o for o in (*p.opts, *p.secondary_opts) if o.startswith("--")] or p.opts
            flags += [n for n in names if n != "--help"]
    return flags


COMMANDS = _commands(main)


def _lines_naming(command: str) -> list[str]:
    pat = re.compile(rf"spinelink {re.escape(command)}(?![\w-])")
    return [line for line in README.read_text(encoding="utf-8").splitlines()
            if pat.search(line)]


def test_the_cli_has_the_commands_this_test_walks():
    names = {p for p, _ in COMMANDS}
    assert {"run", "validate", "sample", "verify", "review", "review serve"} <= names


@pytest.mark.parametrize("command", [p for p, _ in COMMANDS])
def test_every_command_and_option_is_in_the_readme(command):
    cmd = dict(COMMANDS)[command]
    lines = _lines_naming(command)
    assert lines, f"README.md never mentions `spinelink {command}`"
    text = "\n".join(lines)
    missing = [f for f in _flags(cmd) if not re.search(rf"{re.escape(f)}(?![\w-])", text)]
    assert not missing, (f"README.md: no line naming `spinelink {command}` mentions "
                         f"{', '.join(missing)} (add a usage example or a row to the "
                         "command-line reference)")


def test_the_program_options_are_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for flag in _flags(main):
        assert f"spinelink {flag}" in text, flag


# ---- the README's Python examples --------------------------------------------------------

def _python_examples() -> str:
    """The ```python blocks of the README that hold `>>>` examples, in order."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return "\n".join(b for b in blocks if ">>>" in b)


def test_the_readme_has_python_examples():
    assert _python_examples().count(">>>") >= 3


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """What `spinelink sample --persons 800 --seed 1 --out tiny` writes, as the README says,
    in a fresh folder that is the working directory."""
    from spinelink.sample import generate
    from spinelink.sample.job import write_job

    folder = re.search(r'spinelink\.run\("(\w+)/job\.yaml"\)', _python_examples()).group(1)
    m = re.search(rf"spinelink sample --persons (\d+) --seed (\d+) --out\s+{folder}\b",
                  README.read_text(encoding="utf-8"))
    assert m, f"the README says how {folder}/ is made (spinelink sample ... --out {folder})"
    persons, seed = int(m.group(1)), int(m.group(2))
    generate(persons, seed, tmp_path / folder)
    write_job(tmp_path / folder, seed)
    monkeypatch.chdir(tmp_path)
    return tmp_path / folder


def test_readme_python_examples_run_as_written(tiny):
    import pandas as pd

    parser = doctest.DocTestParser()
    test = parser.get_doctest(_python_examples(), {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE
                                   | doctest.ELLIPSIS)
    report: list[str] = []
    with pd.option_context("display.width", 80, "display.max_columns", 20):
        result = runner.run(test, out=report.append)
    assert result.attempted >= 3
    assert result.failed == 0, "".join(report)
    assert (tiny / "out" / "integrated.parquet").is_file()
