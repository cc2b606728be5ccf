"""Shared fixtures: the offline stack (moto server + replica + Slack recorder) and signed Slack requests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MyCandidateOpsbot")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")


@pytest.fixture
def stack() -> Iterator[object]:
    from devtools.local_stack import running_stack

    with running_stack() as running:
        yield running
