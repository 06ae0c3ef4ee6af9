"""Work-arounds for Splink 5.0.0 quirks, in one place.

EM's maximisation step can produce an m or u probability around 1e-313 for a level that
true matches (or non-matches) never reach; Splink 5.0.0 then raises ValueError from its
own setter and training stops. Such a value means "practically never": we let it through
here, and `probabilistic._clamp` floors saved values at 1e-12 so the model reloads.
"""
from __future__ import annotations

from splink.internals import comparison_level as _cl

_original = _cl._validate_m_u_probability


def _tolerant(value, param_name, level_not_observed_text):
    if isinstance(value, int | float) and 0 <= value < _cl.M_U_CLAMP_MIN:
        return
    _original(value, param_name, level_not_observed_text)


def install() -> None:
    _cl._validate_m_u_probability = _tolerant
