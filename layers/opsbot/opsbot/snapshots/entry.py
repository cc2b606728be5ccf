"""The snapshots function's one call. What arrives:

- the nightly schedule (EventBridge Scheduler, ``events/snapshots_nightly.json``) and a nightly run it moved:
  ``{"opsbot": "snapshot-nightly", "scheduled_at": "<time>"}`` — once per scheduled time;
- an asynchronous invocation from the Slack function (``events/snapshots_follow.json``):
  ``{"opsbot": "snapshot-follow", "identifier": …, "channel": …, "by": …}`` — once per snapshot;
- one from the election reconciler (``events/snapshots_take.json``):
  ``{"opsbot": "snapshot-take", "reason": "pre-election:<slug>", "scheduled_at": …}`` — once per reason and time;
- RDS's snapshot events through EventBridge (``events/snapshots_rds_created.json``): ``source`` ``aws.rds``,
  ``detail-type`` ``RDS DB Snapshot Event``, ``detail.EventID`` RDS-EVENT-0040 (creating), -0042 (created) or
  -0041 (deleted). An event of another account, region or instance, or another event ID, is ignored and logged
  with the reason.

Anything else is logged as rejected, by name, and returned: retrying it would not make it valid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from opsbot import dependencies
from opsbot.idempotency import Once, current_lambda_context, exactly_once
from opsbot.observability import logger
from opsbot.snapshots.jobs import EVENTS
from opsbot.snapshots.model import prefix

if TYPE_CHECKING:
    from opsbot.config import Settings
    from opsbot.snapshots.jobs import SnapshotJobs

_ID = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,20}")
_USER = re.compile(r"[UW][A-Z0-9]{2,20}|snapshots:[a-z-]{1,40}|election:[a-z0-9-]{1,60}|alarm:[A-Za-z0-9._/-]{1,255}")
_TAKE_REASON = re.compile(r"pre-election:[a-z][a-z0-9-]{0,60}")


@lru_cache(maxsize=1)
def _runtime(function_arn: str, clock: Callable[[], datetime] | None) -> tuple[SnapshotJobs, Once, Settings]:
    settings = dependencies.own_account(dependencies.settings(), function_arn)
    return (
        dependencies.build_snapshot_jobs(settings, function_arn, clock),
        exactly_once(settings, local_cache=True),
        settings,
    )


def _time(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def parse(event: object, settings: Settings) -> tuple[str, dict[str, str]] | str:
    """``(job, arguments)``, or why the event is not one this function acts on."""
    if not isinstance(event, dict):
        return "not a JSON object"
    kind = event.get("opsbot")
    if kind == "snapshot-nightly":
        at = _time(event.get("scheduled_at"))
        return ("nightly", {"scheduled_at": at}) if at else "`scheduled_at` must be an ISO 8601 time"
    if kind == "snapshot-follow":
        identifier, channel, by = event.get("identifier"), event.get("channel"), event.get("by")
        if not (isinstance(identifier, str) and len(identifier) <= 255 and _ID.fullmatch(identifier)):
            return "`identifier` is not a snapshot identifier"
        if not (isinstance(channel, str) and _CHANNEL.fullmatch(channel)):
            return "`channel` is not a Slack channel ID"
        if not (isinstance(by, str) and _USER.fullmatch(by)):
            return "`by` is not a Slack user ID or a system actor"
        return "follow", {"identifier": identifier, "channel": channel, "by": by}
    if kind == "snapshot-take":
        reason, at = event.get("reason"), _time(event.get("scheduled_at"))
        if not (isinstance(reason, str) and _TAKE_REASON.fullmatch(reason)):
            return "`reason` must be pre-election:<slug>"
        return ("take", {"reason": reason, "scheduled_at": at}) if at else "`scheduled_at` must be an ISO 8601 time"
    if event.get("source") == "aws.rds" and event.get("detail-type") == "RDS DB Snapshot Event":
        return _rds_event(event, settings)
    return 'not a snapshot job (expected {"opsbot": "snapshot-…"}) nor an RDS DB Snapshot Event'


def _rds_event(event: dict[str, Any], settings: Settings) -> tuple[str, dict[str, str]] | str:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return "the RDS event has no detail"
    if event.get("region") != settings.region:
        return f"ignored: an RDS event of region {str(event.get('region'))[:20]}, not {settings.region}"
    if settings.account_id and event.get("account") != settings.account_id:
        return "ignored: an RDS event of another account"
    event_id, identifier = detail.get("EventID"), detail.get("SourceIdentifier")
    if event_id not in EVENTS:
        return f"ignored: RDS event {str(event_id)[:20]} is not one the bot follows"
    if not (isinstance(identifier, str) and identifier.startswith(prefix(settings.db_instance))):
        return "ignored: a snapshot the bot did not make, or of another instance"
    return "event", {"identifier": identifier, "event_id": str(event_id)}


def handle(event: object, context: Any, clock: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """``clock``: where the jobs' time comes from (the offline stack's replica clock); else the real one."""
    function_arn = str(getattr(context, "invoked_function_arn", "") or "")
    token = current_lambda_context.set(context)
    try:
        jobs, once, settings = _runtime(function_arn, clock)
        parsed = parse(event, settings)
        if isinstance(parsed, str):
            level = logger.info if parsed.startswith("ignored") else logger.warning
            level("snapshot event not acted on", extra={"reason": parsed})
            return {"ignored" if parsed.startswith("ignored") else "rejected": parsed}
        job, args = parsed
        at = clock() if clock is not None else datetime.now(UTC)
        if job == "event":  # an update of a message: idempotent by itself
            return jobs.on_event(args["identifier"], args["event_id"])
        if job == "follow":
            ran, result = once(f"snapshot-follow#{args['identifier']}",
                               lambda: jobs.follow(args["identifier"], args["channel"], args["by"]))  # fmt: skip
        else:
            tag = hashlib.sha256(f"{job}#{args.get('reason', '')}#{args['scheduled_at']}".encode()).hexdigest()[:8]
            key = f"{at:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}"
            if job == "nightly":
                ran, result = once(f"snapshot-nightly#{args['scheduled_at']}", lambda: jobs.nightly(key, key))
            else:
                ops = settings.slack_channel
                ran, result = once(
                    f"snapshot-take#{args['reason']}#{args['scheduled_at']}",
                    lambda: jobs.take(args["reason"], args["reason"].replace("pre-election:", "election:"), ops,
                                      key, key),
                )  # fmt: skip
    finally:
        current_lambda_context.reset(token)
    if not ran:
        return {"duplicate": True, **(result or {})}
    logger.info("snapshot job", extra={"job": job, **{k: str(v)[:200] for k, v in (result or {}).items()}})
    return dict(result or {})
