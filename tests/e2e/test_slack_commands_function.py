"""`sam local invoke` of SlackCommandsFunction with every Slack event in `events/`, against moto and a Slack
recorder in containers: the ack body, then the lazy self-invocation (captured by the recorder, invoked again as
Lambda would) and its effect on moto's state and on what Slack is told."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from devtools.events import EVENTS_DIR, load_event
from devtools.local_stack import LOCAL_RBAC, SIGNING_SECRET, create_bot_resources
from devtools.replica import seed_replica
from devtools.slack_recorder import SECRETS_EXTENSION, put_secret
from devtools.slack_requests import resign
from devtools.transcript import ack_text, message_text
from opsbot.config import Settings

FUNCTION = "SlackCommandsFunction"


@dataclass(frozen=True)
class Expect:
    ack: str  # text the ack must contain
    reply: str | None  # text the response_url post must contain; None: no post
    capacity: tuple[int, int] = (2, 10)
    audit: str | None = None  # decision of the audit entry written, None: none
    pending: bool = False  # a change that gets past authorisation and guardrails: a pending record, then the outcome
    lazy: bool = True  # whether the ack hands work to an asynchronous self-invocation


EXPECTED = {
    "slack_command_help.json": Expect(ack="/mycandidate scale", reply=None, lazy=False),
    "slack_command_status.json": Expect(ack="working on `status`", reply="desired 2", audit="allowed"),
    "slack_command_scale.json": Expect(
        ack="working on `scale`",
        reply="Scaled: min 2 / max 10 → min 4 / max 10",
        capacity=(4, 10),
        audit="allowed",
        pending=True,
    ),
    "slack_command_scale_dry_run.json": Expect(ack="working on `scale`", reply="Dry run", audit="dry-run"),
    "slack_command_scale_refused.json": Expect(
        ack="working on `scale`", reply="50 tasks is above the absolute maximum of 20", audit="refused"
    ),  # guardrails refuse before the pending record
    "slack_command_scale_bad_input.json": Expect(
        ack="`&lt;@U0BOSS&gt;` is not a valid task count", reply=None, audit="invalid"
    ),
    "slack_command_unauthorised.json": Expect(
        ack="working on `scale`", reply="needs the operator role; you have no role", audit="refused"
    ),
    "slack_command_audit.json": Expect(ack="working on `audit`", reply="recorded actions", audit="allowed"),
    "slack_action_cancel_expired.json": Expect(
        ack="", reply="expired or was already used", audit="refused", pending=True
    ),
    # prod's second-person approval of a deploy, and the pause's Promote: pressed after they were answered or expired
    "slack_action_deploy_approve_expired.json": Expect(
        ack="", reply="already answered or has expired", audit="refused", pending=True
    ),
    "slack_action_cutover_promote_expired.json": Expect(
        ack="", reply="already answered or has expired", audit="refused", pending=True
    ),
}
SETTINGS = Settings(
    operations_table="opsbot-operations",
    audit_table="opsbot-audit",
    idempotency_table="opsbot-idempotency",
    slack_secret_id="mycandidate-opsbot/dev/slack",
)


def test_every_slack_event_file_has_an_expectation() -> None:
    assert {p.name for p in EVENTS_DIR.glob("slack_*.json")} == set(EXPECTED)


@pytest.fixture(scope="module")
def seeded(offline_stack: Any, moto_session: Any) -> Any:
    seed_replica(moto_session, endpoint_url=offline_stack.moto.host_url)
    create_bot_resources(moto_session, offline_stack.moto.host_url, SETTINGS)
    return offline_stack


@pytest.fixture
def function_env(seeded: Any) -> dict[str, str]:
    return {
        "OPSBOT_OPERATIONS_TABLE": SETTINGS.operations_table,
        # The template's !Ref AuditTable is the logical id under `sam local invoke`: name moto's table.
        "OPSBOT_AUDIT_TABLE": SETTINGS.audit_table,
        "OPSBOT_IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
        "OPSBOT_SLACK_SECRET_ID": SETTINGS.slack_secret_id,
        "OPSBOT_RBAC": json.dumps(LOCAL_RBAC),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _capacity(aws_client: Callable[[str], Any]) -> tuple[int, int]:
    target = aws_client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=["service/mycandidate/web"]
    )["ScalableTargets"][0]
    return int(target["MinCapacity"]), int(target["MaxCapacity"])


def _audit(aws_client: Callable[[str], Any], *, pending: bool = False) -> list[dict[str, Any]]:
    """The audit table's outcome records in time order (sk = operation id), or with ``pending`` its pending
    records (sk = operation id + ``#pending``)."""
    items = aws_client("dynamodb").scan(TableName=SETTINGS.audit_table)["Items"]
    kept = [i for i in items if i["pk"]["S"] == "AUDIT" and i["sk"]["S"].endswith("#pending") == pending]
    return sorted(kept, key=lambda i: i["sk"]["S"])


def _no_audit_in_the_operations_table(aws_client: Callable[[str], Any]) -> None:
    items = aws_client("dynamodb").scan(TableName=SETTINGS.operations_table)["Items"]
    assert [i["sk"]["S"] for i in items if i["pk"]["S"] == "AUDIT"] == []


@pytest.mark.parametrize("name", list(EXPECTED))
def test_slack_event_under_sam_local_invoke(
    name: str, seeded: Any, sam_invoke: Any, aws_client: Callable[[str], Any], function_env: dict[str, str]
) -> None:
    expect = EXPECTED[name]
    # Given the service at its baseline and an empty recorder
    aws_client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/mycandidate/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=10,
    )
    seeded.clear_recorder()
    audit_before = len(_audit(aws_client))
    pending_before = len(_audit(aws_client, pending=True))

    # When Slack's signed request reaches the function
    ack = sam_invoke(FUNCTION, resign(load_event(name), SIGNING_SECRET), function_env)

    # Then it is acknowledged with the expected body
    assert ack.status == 200, ack.stderr[-3000:]
    assert expect.ack in (ack_text(ack.payload) if "&lt;" not in expect.ack else ack.payload["body"])
    # And its lazy self-invocation, delivered as Lambda would, has the expected effect
    invocations = [c for c in seeded.recorder_calls() if c.kind == "lambda_invoke"]
    assert len(invocations) == int(expect.lazy), "one asynchronous self-invocation per request that needs AWS"
    if expect.lazy:
        lazy = sam_invoke(FUNCTION, invocations[0].body, function_env)
        assert lazy.status == 200, lazy.stderr[-3000:]
    posts = [message_text(c.body) for c in seeded.recorder_calls() if c.kind == "response_url"]
    if expect.reply is None:
        assert posts == []
    else:
        assert len(posts) == 1, posts
        assert expect.reply in posts[0]
    assert _capacity(aws_client) == expect.capacity
    entries = _audit(aws_client)
    if expect.audit is None:
        assert len(entries) == audit_before
    else:
        assert len(entries) == audit_before + 1, "one audit outcome per attempt"
        assert entries[-1]["decision"]["S"] == expect.audit
    pending = _audit(aws_client, pending=True)
    assert len(pending) == pending_before + int(expect.pending)
    if expect.pending:  # the record written before acting, and the outcome of the same operation
        assert pending[-1]["sk"]["S"] == entries[-1]["sk"]["S"] + "#pending"
        assert pending[-1]["operation"]["S"] == entries[-1]["operation"]["S"] == entries[-1]["sk"]["S"]
    assert {p["operation"]["S"] for p in pending} <= {e["sk"]["S"] for e in entries}, "every change has its outcome"
    _no_audit_in_the_operations_table(aws_client)


def test_with_the_secrets_extension_the_signing_secret_is_read_from_it_not_from_secrets_manager(
    seeded: Any, sam_invoke: Any, function_env: dict[str, str]
) -> None:
    # Given the extension (the recorder's stand-in) holds the Slack secret with another signing secret than the
    # copy in Secrets Manager (moto), and the function is configured for the extension as template.yaml does it
    extension_secret = "extension-signing-secret"
    value = {"signing_secret": extension_secret, "bot_token": "xoxb-from-the-extension"}
    put_secret(seeded.recorder.host_url, SETTINGS.slack_secret_id, json.dumps(value))
    env = {**function_env, "OPSBOT_SECRETS_EXTENSION_URL": seeded.recorder.network_url}
    seeded.clear_recorder()

    # When a command signed with the extension's secret arrives, then one signed with Secrets Manager's
    accepted = sam_invoke(FUNCTION, resign(load_event("slack_command_help.json"), extension_secret), env)
    refused = sam_invoke(FUNCTION, resign(load_event("slack_command_help.json"), SIGNING_SECRET), env)

    # Then the first is verified with the extension's secret and answered, the second refused
    assert accepted.status == 200, accepted.stderr[-3000:]
    assert "/mycandidate scale" in ack_text(accepted.payload)
    assert refused.status == 401
    # And each cold container asked the extension once, with the session token (the stand-in refuses without); the
    # refused request's well-formed, fresh signature did not match, so its container asked once more, past the cache
    # (a rotated secret is picked up that way), and still refused it
    reads = [c for c in seeded.recorder_calls() if c.kind == SECRETS_EXTENSION]
    assert len(reads) == 3


def test_stale_signature_is_rejected_with_401_and_no_work(
    seeded: Any, sam_invoke: Any, function_env: dict[str, str]
) -> None:
    seeded.clear_recorder()
    event = load_event("slack_command_scale.json")  # its stored signature is long expired
    result = sam_invoke(FUNCTION, event, function_env)
    assert result.status == 401
    assert seeded.recorder_calls() == []
