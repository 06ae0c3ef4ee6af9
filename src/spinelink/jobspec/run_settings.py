"""The job file's settings for how a job runs rather than what it links: engine
resources, the Spark session, and privacy (pseudonyms). `Strict` is the base of every
job-file model: unknown keys are errors and a loaded job cannot be changed."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from spinelink.memory_sizes import job_size_ok


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(Strict):
    memory_limit: str | None = None
    threads: int | None = Field(default=None, ge=1)
    temp_dir: str | None = None

    @field_validator("memory_limit", mode="before")
    @classmethod
    def _size(cls, v):
        # DuckDB's memory sizes (8GB, 512 MB, 2GiB, 1.5GB; a bare number is not one) and a
        # share of the machine's memory (80%)
        if v is not None and not job_size_ok(v):
            raise ValueError("a memory size such as 8GB, 512MB or 2GiB")
        return v


class Spark(Strict):
    """The `spark:` section, used when `backend: spark`: where Spark runs (`master`:
    local[N] or a cluster URL), extra session settings (`config`), and the checkpoint
    folder (default: a folder under the run's temp area; on a cluster, a path every node
    sees)."""
    master: str = "local[2]"
    app_name: str = "spinelink"
    config: dict[str, str | int | float | bool] = Field(default_factory=dict)
    checkpoint_dir: str | None = None

    @field_validator("master")
    @classmethod
    def _master(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a Spark master URL such as local[2] or spark://host:7077")
        return v.strip()


class Privacy(Strict):
    """The `privacy:` section. `pseudonymise`: ids in the published outputs become keyed
    HMAC-SHA256 pseudonyms; the key comes from the environment variable named by `key_env`
    or from the file at `key_file`, never from the job file. `separate`: the linkage table
    and the content table go to separate folders (needs `pseudonymise`)."""
    pseudonymise: StrictBool = False
    key_env: str | None = None
    key_file: str | None = None
    separate: StrictBool = False
    pseudonym_length: int = Field(default=32, ge=16, le=64)

    @field_validator("key_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError("the name of an environment variable (letters, digits, '_'), "
                             "not the key itself")
        return v

    @model_validator(mode="after")
    def _key_source(self) -> Privacy:
        if self.key_env and self.key_file:
            raise ValueError("give key_env or key_file, not both")
        if self.pseudonymise and not (self.key_env or self.key_file):
            raise ValueError("pseudonymise needs key_env (an environment variable) or "
                             "key_file (a file) holding the key")
        if self.separate and not self.pseudonymise:
            raise ValueError("separate needs pseudonymise: true (the linkage table holds "
                             "pseudonymous ids only)")
        return self
