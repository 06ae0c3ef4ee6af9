"""The `spinelink review` commands are documented (help example, README) and fail with
one line when OUT is not a run's output."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import ROOT

from spinelink.cli import main

COMMANDS = ("serve", "export", "import", "apply", "qc")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_review_command_has_an_example_and_is_in_the_readme(command):
    r = CliRunner().invoke(main, ["review", command, "--help"])
    assert r.exit_code == 0 and f"spinelink review {command} " in r.output
    assert "Example" in r.output
    assert f"spinelink review {command} " in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("args", [["apply"], ["qc"], ["export", "--to", "x.csv"],
                                  ["serve", "--port", "0"]])
def test_a_folder_that_is_not_a_run_gives_one_line(tmp_path, args):
    r = CliRunner().invoke(main, ["review", args[0], str(tmp_path), *args[1:]])
    assert r.exit_code == 6, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert lines == [f"error: {tmp_path / 'run_manifest.json'}: does not exist; run "
                     "`spinelink run` on the job first"]
