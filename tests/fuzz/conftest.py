"""Hypothesis profiles: ``ci`` (the default; a few hundred examples per target, what `make test` runs) and ``fuzz``
(10,000 per target, `make fuzz`). No deadline: the first example of a target imports and builds what it needs."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
