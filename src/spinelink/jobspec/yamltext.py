"""YAML files the job refers to (model specification, match keys), parsed once per text.

A run reads the same model and match-key files several times (checking the job, building
the model, linking); PyYAML's pure-Python parser takes ~30 ms for the model file. The
parse of a text is kept (keyed by the text itself, so an edited file is parsed again) and
each caller gets its own deep copy.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml


@lru_cache(maxsize=32)
def _parsed(text: str) -> Any:
    return yaml.safe_load(text)


def parse_yaml(text: str) -> Any:
    """yaml.safe_load(text) (raises yaml.YAMLError the same way; errors are not kept)."""
    return copy.deepcopy(_parsed(text))
