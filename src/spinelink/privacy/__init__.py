"""Privacy: keyed pseudonyms for the ids in the published outputs, and the separation of
the linkage table from the content table.

`privacy: {pseudonymise: true, key_env: SPINELINK_KEY}` (or `key_file: path`): the last
stage of a run replaces every record id in the published outputs (links, review,
unlinked, pairs, integrated, conflicts, audit, integrate/, quality/, review/labels.csv,
weights/, imputed/) by a pseudonym: HMAC-SHA256 over `<source>` + 0x1F + `<id>` with the
key, hex, truncated to `pseudonym_length` (32) characters. The same id of the same source
always gets the same pseudonym under the same key, so tables still join; ids of different
sources never collide. The key is read from the environment or a file, is checked before
any work (`pipeline.run_job`), and is never written or logged (the manifest records a short
key check value, an HMAC of a fixed text, to tell whether two runs used the same key).

Working tables (intake/, standardised/, quarantine/, and clerical review's
review/candidates/ and decisions) keep the source ids: they are the data controller's
side and clerical review needs them (it can map ids with `pseudonyms`).

`separate: true` also writes `separated/linkage/<source>.parquet` (reference and source
pseudonyms only) and `separated/content/` (per source, and the integrated dataset when
present: variables keyed by pseudonym, without names, dates of birth, addresses,
postcodes or identifiers), to be handed to different people.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable

from spinelink.config import LoadedJob
from spinelink.errors import JobError

log = logging.getLogger("spinelink.privacy")
MIN_KEY_BYTES = 16


# ---- the key ----------------------------------------------------------------------------

def load_key(lj: LoadedJob) -> bytes:
    """The pseudonymisation key, from the environment variable or the key file."""
    p = lj.job.privacy
    if p.key_env:
        value = os.environ.get(p.key_env, "")
        if not value.strip():
            raise JobError(f"{lj.path}: key 'privacy.key_env': environment variable "
                           f"{p.key_env} is not set; set it to the pseudonymisation key "
                           "before the run")
        key = value.strip().encode("utf-8")
    else:
        path = lj.resolve(p.key_file)
        if not path.is_file():
            raise JobError(f"{lj.path}: key 'privacy.key_file': {path} is not a file")
        try:
            key = path.read_bytes().strip()
        except PermissionError:
            raise JobError(f"{lj.path}: key 'privacy.key_file': {path} cannot be read "
                           "(permission denied)") from None
    if len(key) < MIN_KEY_BYTES:
        where = "privacy.key_env" if p.key_env else "privacy.key_file"
        raise JobError(f"{lj.path}: key '{where}': the key is shorter than {MIN_KEY_BYTES} "
                       "bytes; use a long random key")
    return key


def key_check(key: bytes) -> str:
    """A short value that tells keys apart without revealing them."""
    return hmac.new(key, b"spinelink key check", hashlib.sha256).hexdigest()[:8]


def pseudonym(key: bytes, source: str, record_id: str, length: int = 32) -> str:
    """
    >>> pseudonym(b"k" * 16, "census", "C001")[:12]
    'db91529f0538'
    """
    msg = f"{source}\x1f{record_id}".encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:length]


def pseudonyms(key: bytes, sources: Iterable[str | None], ids: Iterable[str | None],
               length: int = 32) -> list[str | None]:
    """Pseudonyms of (source, id) pairs, computed once per distinct pair; None stays None."""
    pairs = list(zip(sources, ids, strict=True))
    cache = {(s, i): pseudonym(key, s, str(i), length)
             for s, i in set(pairs) if s is not None and i is not None}
    return [cache.get(p) for p in pairs]
