"""Where spinelink's own files are: `sql/`, `linkage_models/`, the review page, the name
tables of the sample generator. Found through `importlib.resources`, so that a source
checkout (editable install) and an installed wheel both work.

`sql/` and `linkage_models/` live at the top of the repository; a built wheel carries
them inside the package as `spinelink/_data/sql` and `spinelink/_data/linkage_models`
(copied by setup.py's build step). The packaged copy is used when present, otherwise
the repository's. The files must be on disk (a normal install; not a zip import): the
pipeline reads them by path, and DuckDB reads some of them itself.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGED = "_data"  # spinelink/_data/<name> in a wheel
TOP_LEVEL = ("sql", "linkage_models")


class ResourceError(RuntimeError):
    """A file that ships with spinelink is missing: a broken install."""


def package_dir(package: str, *parts: str) -> Path:
    """A folder inside an installed package (e.g. `spinelink.review`, `static`), as a
    path on disk."""
    found = files(package).joinpath(*parts)
    if not isinstance(found, Path):
        raise ResourceError(f"{package}: installed as a zip; spinelink needs its files on "
                            "disk (install it with pip)")
    return found


def data_dir(name: str) -> Path:
    """`sql` or `linkage_models`: the copy in the wheel, else the repository's."""
    if name not in TOP_LEVEL:
        raise ValueError(f"unknown data folder '{name}'; expected one of {TOP_LEVEL}")
    packaged = package_dir("spinelink", PACKAGED, name)
    if packaged.is_dir():
        return packaged
    top = Path(__file__).resolve().parents[2] / name  # src/spinelink/ -> repository top
    if top.is_dir():
        return top
    raise ResourceError(f"spinelink's {name}/ folder is missing (looked in {packaged} and "
                        f"{top}); reinstall spinelink")
