"""The one percentile the reports use."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, linear between ranks), rounded to 0.1; None (JSON null) for no values."""
    data = list(values)
    return round(float(np.percentile(data, q)), 1) if data else None
