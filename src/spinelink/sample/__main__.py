"""python -m spinelink.sample --persons N --seed S --out DIR: the same command as
`spinelink sample` (same options, defaults and output, including DIR/job.yaml)."""
from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from spinelink.cli import sample

    try:
        sample.main(args=argv, prog_name="python -m spinelink.sample")
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
