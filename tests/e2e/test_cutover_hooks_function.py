"""`sam local invoke` of CutoverHooksFunction (issue 11, first part) with every sample event: a rollback and a stage
it does not test pass; a payload for another service, state it did not write, and a green revision whose test
listener does not answer (nothing listens there) fail — answered, never crashed."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.events import load_event

FUNCTION = "CutoverHooksFunction"


HOOK_EVENTS = [
    ("cutover_hook_post_test_traffic.json", "FAILED"),  # no test listener answers
    ("cutover_hook_rollback.json", "SUCCEEDED"),
    ("cutover_hook_test_traffic_rollback.json", "SUCCEEDED"),
    ("cutover_hook_test_traffic.json", "SUCCEEDED"),  # forward: nothing to check there
    ("cutover_hook_production_traffic.json", "SUCCEEDED"),
    ("cutover_hook_pre_scale_up.json", "SUCCEEDED"),
    ("cutover_hook_other_service.json", "FAILED"),
    ("cutover_hook_unknown_details.json", "FAILED"),
]


@pytest.mark.parametrize(("name", "status"), HOOK_EVENTS)
def test_the_hook_events_under_sam_local_invoke(offline_stack: Any, sam_invoke: Any, name: str, status: str) -> None:
    # Nothing listens on this port inside the function's container: the smoke tests get no answer.
    env = {"OPSBOT_TEST_LISTENER_URL": "http://127.0.0.1:9", "POWERTOOLS_LOG_LEVEL": "INFO"}
    result = sam_invoke(FUNCTION, load_event(name), env)
    assert result.error is None, result.stderr[-3000:]
    assert isinstance(result.payload, dict), result.stderr[-3000:]
    assert result.payload["hookStatus"] == status, result.stderr[-3000:]


def test_every_hook_event_file_is_invoked() -> None:
    from devtools.events import EVENTS_DIR

    assert {p.name for p in EVENTS_DIR.glob("cutover_hook_*.json")} == {name for name, _ in HOOK_EVENTS}
