"""The election function's one call. EventBridge Scheduler invokes it hourly (the stack's schedule) and at the
boundaries the reconciler scheduled for itself (one-time schedules); each sends
``{"opsbot": "election-sync", "scheduled_at": "<time>", "reason": "hourly" | "boundary"}``.

A run happens once per scheduled time and reason (a retried delivery returns the first run's summary). An event
of any other shape is logged as rejected and returned, not raised: retrying it would not make it valid.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from opsbot import dependencies
from opsbot.idempotency import Once, current_lambda_context, exactly_once
from opsbot.observability import logger

if TYPE_CHECKING:
    from opsbot.elections.scaler import ElectionScaler

REASONS = ("hourly", "boundary", "manual")


@lru_cache(maxsize=1)
def _runtime(function_arn: str) -> tuple[ElectionScaler, Once]:
    settings = dependencies.own_account(dependencies.settings(), function_arn)
    return dependencies.build_election_scaler(settings, function_arn), exactly_once(settings, local_cache=True)


def parse(event: object) -> tuple[str, str] | str:
    """``(scheduled_at, reason)``, or why the event is not one of ours."""
    if not isinstance(event, dict) or event.get("opsbot") != "election-sync":
        return 'not an election-sync event (expected {"opsbot": "election-sync", ...})'
    scheduled_at, reason = event.get("scheduled_at"), event.get("reason", "hourly")
    if not isinstance(scheduled_at, str) or len(scheduled_at) > 40:
        return "`scheduled_at` must be an ISO 8601 time"
    try:
        datetime.fromisoformat(scheduled_at.replace("Z", "+00:00"))
    except ValueError:
        return f"`scheduled_at` is not an ISO 8601 time: {scheduled_at[:40]!r}"
    if reason not in REASONS:
        return f"`reason` must be one of {', '.join(REASONS)}"
    return scheduled_at, str(reason)


def handle(event: object, context: Any, now: datetime | None = None) -> dict[str, Any]:
    parsed = parse(event)
    if isinstance(parsed, str):
        logger.warning("election event rejected", extra={"reason": parsed})
        return {"rejected": parsed}
    scheduled_at, reason = parsed
    token = current_lambda_context.set(context)
    try:
        scaler, once = _runtime(str(getattr(context, "invoked_function_arn", "") or ""))
        at = now or datetime.now(UTC)
        tag = hashlib.sha256(f"{scheduled_at}#{reason}".encode()).hexdigest()[:8]
        key = f"{at:%Y-%m-%dT%H:%M:%S.%f}Z#{tag}"
        summaries: list[dict[str, Any]] = []

        def run() -> dict[str, Any]:
            summaries.append(scaler.run(at, key, key).as_dict())
            return summaries[-1]

        ran, result = once(f"election-sync#{scheduled_at}#{reason}", run)
    finally:
        current_lambda_context.reset(token)
    if not ran:
        logger.info("election run already done for this schedule", extra={"scheduled_at": scheduled_at})
        return {"duplicate": True, **(result or {})}
    # The run's own summary: the exactly-once record may have failed to keep it (its completion is not written).
    summary = summaries[-1] if summaries else dict(result or {})
    logger.info("election run", extra={"scheduled_at": scheduled_at, "reason": reason, **summary})
    return dict(summary)
