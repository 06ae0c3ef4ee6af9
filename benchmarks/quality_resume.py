"""Rerun only the quality stage (and the stages after it) of a finished run, with the code
that runs now: the run's checkpoint is given the running code's fingerprint and its
quality, report and privacy stages are forgotten, then `spinelink run JOB --output-dir OUT
--resume` reuses every earlier stage. Run it on a copy of the run's folder (it rewrites it).

    PYTHONPATH=$PWD/src python benchmarks/quality_resume.py JOB OUT
    # the same, keeping the label-free estimate's inputs for quality_estimate_time.py
    PYTHONPATH=$PWD/src python benchmarks/quality_resume.py JOB OUT --dump INPUTS.pkl

A resume has no probabilistic stage's keyed reference in the engine: the null sample builds
and keys its own pool (a whole run's stage takes the linkage's)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from spinelink import checkpoint as ckm
from spinelink import pipeline

DROP = {"quality", "report", "privacy"}
_open = ckm.open_checkpoint


def forgetting(stages=None, first: str | None = None):
    """An `open_checkpoint` that gives the run's checkpoint the running code's fingerprint
    and forgets `stages` (default DROP), or `first` and every stage the run did after it,
    so that `--resume` runs them again and reuses the rest."""
    def _forgetting(out, fingerprint, resume, record=True):
        path = Path(out) / ckm.FILE
        data = json.loads(path.read_text())
        data["fingerprint"] = fingerprint
        drop = set(DROP if stages is None and first is None else stages or ())
        if first is not None:
            order = data.get("order", [])
            if first not in order:
                raise SystemExit(f"{first}: not a stage of this run ({', '.join(order)})")
            drop |= set(order[order.index(first):])
        for k in ("done", "timings", "written"):
            for s in list(data.get(k, {})):
                if s in drop:
                    del data[k][s]
        for k in ("started", "order"):
            data[k] = [s for s in data.get(k, []) if s not in drop]
        data["sha256"] = ckm._content_hash(data)
        path.write_text(json.dumps(data))
        return _open(out, fingerprint, resume, record)
    return _forgetting


_forgetting = forgetting()


def main(argv: list[str]) -> None:
    job, out, rest = argv[0], argv[1], argv[2:]
    pipeline.open_checkpoint = _forgetting
    args = ["run", job, "--output-dir", out, "--resume"]
    if rest[:1] == ["--dump"]:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import quality_estimate_time

        quality_estimate_time.dump(rest[1], args)
        return
    sys.argv = ["spinelink", *args]
    from spinelink.cli import entry

    entry()


if __name__ == "__main__":
    main(sys.argv[1:])
