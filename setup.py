"""Build step: copy the repository's `sql/` and `linkage_models/` into the wheel as
package data (`spinelink/_data/...`), where spinelink.resources finds them. Everything
else is configured in pyproject.toml. Editable installs read the repository's folders
directly, so nothing is copied for them."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ("sql", "linkage_models")
# developer tools and byte code stay out of the wheel
SKIP = shutil.ignore_patterns("__pycache__", "*.py", "*.pyc")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in DATA:
            target = Path(self.build_lib) / "spinelink" / "_data" / name
            if target.exists():
                shutil.rmtree(target)  # no stale files from an earlier build
            shutil.copytree(HERE / name, target, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithData})
