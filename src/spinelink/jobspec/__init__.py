"""The job spec: the job file and every file it refers to, checked when the job loads.

`spinelink.config` holds the typed job model and `load_job`; this package holds what the
load checks with, one concern per module, none importing `spinelink.config`:

* `problems`: one problem (file, key, what was expected, a "did you mean"), pydantic
  errors turned into problems, the one error that lists them all.
* `load`: reading the YAML, validating it while collecting every problem (unknown keys and
  bad optional values are set aside so the rest of the job is still checked).
* `checks`: cross-references inside the job (reference, links, identifiers, quality
  subgroups, the `integrate:` section and its code lists).
* `files`: the files the job names: match-key cascades, model files (`model: auto`'s
  spec and Splink model JSON), code lists, code maps; and, when asked, each source file's
  header (existence and the columns the job maps, never a data row).
* `code_lists`: the one code-list loader (`linkage_models/code_lists/`).
* `match_keys`, `autospec`, `splink_model`: the typed schemas of those files.
"""
