"""Memory sizes: the one reading of a size's text, for its three uses.

A size is a number (digits, at most one point) and a unit, spaces around either, any
case. The unit is a prefix (K, M, G, T), an `i` (binary: 1024 rather than 1000) and `B`
or `bytes`; or `%` (a share of the machine's memory). Each use accepts its own forms:

- `job_size_ok`: `resources.memory_limit` in the job, as DuckDB's `SET memory_limit`
  takes it: `8GB`, `2GiB`, `512 MB`, `8G`, `80%` (checked when the job loads);
- `spark_memory`: the job's size as Spark's `spark.driver.memory` (`4g`, `512m`): a
  prefix with or without `B` / `iB`; a share is left to Spark;
- `duckdb_bytes`: the setting as DuckDB reports it (`1.8 GiB`, `476.8 MiB`, `2GB`, a
  bare number of bytes) in bytes, for the engine's own sizing.

>>> job_size_ok("8 gib"), job_size_ok("80%"), job_size_ok("8"), job_size_ok("lots")
(True, True, False, False)
>>> spark_memory("1.5GB"), spark_memory("80%")
('1536m', None)
>>> duckdb_bytes("1.8 GiB"), duckdb_bytes("8G")
(1932735283, None)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TEXT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(I?)(B|BYTES)?\s*|\s*(\d+(?:\.\d+)?)\s*%\s*",
                   re.IGNORECASE)
PREFIXES = "KMGT"


@dataclass(frozen=True)
class Size:
    number: str       # as written
    prefix: str       # K, M, G, T or "" (upper case)
    binary: bool      # an `i` after the prefix
    suffix: str       # "B", "BYTES" or ""
    share: bool       # `%`

    @property
    def bytes(self) -> int:
        scale = (1024 if self.binary else 1000) ** (PREFIXES.index(self.prefix) + 1) \
            if self.prefix else 1
        return int(float(self.number) * scale)


def parse(text) -> Size | None:
    """The parts of a size's text, or None when it is none of the forms above."""
    m = _TEXT.fullmatch(str(text))
    if not m:
        return None
    if m.group(5) is not None:
        return Size(m.group(5), "", False, "", True)
    return Size(m.group(1), m.group(2).upper(), bool(m.group(3)), (m.group(4) or "").upper(),
                False)


def job_size_ok(value) -> bool:
    """A job's `resources.memory_limit` DuckDB takes: a prefix with `B`, `iB` or alone, or
    a share (`80%`); not a bare number, `B`, `bytes` or `Ki`."""
    s = parse(value) if isinstance(value, str) else None
    if s is None:
        return False
    return s.share or (bool(s.prefix) and (s.suffix == "B" or not (s.binary or s.suffix)))


def spark_memory(limit: str | None) -> str | None:
    """A job's size as Spark writes one ('4GB' -> '4g', '512MB' -> '512m'; a fraction one
    unit down, as binary: '1.5GB' -> '1536m'); None when there is none or it is not a
    prefixed size (a share: Spark sizes its own)."""
    if not limit:
        return None
    s = parse(limit)
    if s is None or s.share or not s.prefix or s.suffix == "BYTES":
        return None
    n, unit = float(s.number), s.prefix.lower()
    if n != int(n):
        n, unit = n * 1024, {"t": "g", "g": "m", "m": "k", "k": "b"}[unit]
    return f"{int(n)}{unit}"


def duckdb_bytes(text) -> int | None:
    """A memory size as DuckDB writes one ("1.8 GiB", "476.8 MiB", "2GB", "5 bytes") in
    bytes; None when it is not one."""
    s = parse(text)
    if s is None or s.share:
        return None
    ok = s.suffix == "B" if s.prefix else not s.binary  # 2GB, 1.8 GiB; 5, 5B, 5 bytes
    return s.bytes if ok else None
