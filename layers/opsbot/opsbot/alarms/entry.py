"""The alarm function's one call: parse every delivery path, then remediate each state change exactly once; or,
when EventBridge Scheduler sends ``{"opsbot": "watch"}``, the watch run (``opsbot.alarms.watch``); or, for ECS's
deployment and hook events (``opsbot.cutover.events``), bring the deployment's Slack thread up to date."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from opsbot import dependencies
from opsbot.alarms.model import AlarmTransition, Decision, Rejection
from opsbot.alarms.parsing import parse_delivery
from opsbot.alarms.remediation import Remediator
from opsbot.cutover.events import is_ecs_event
from opsbot.idempotency import Once, current_lambda_context, exactly_once
from opsbot.observability import logger, metrics

if TYPE_CHECKING:  # an alarm delivery never needs the watch run (nor its sweeper): built on the first watch event
    from opsbot.alarms.watch import Watch


@lru_cache(maxsize=1)
def _runtime(function_arn: str) -> tuple[Remediator, Once]:
    # The object graph lives as long as the container; what expires does not sit in it as a value: the runbooks
    # and the Slack token are asked of their Powertools providers (max_age 5 minutes) on every alarm and message.
    settings = dependencies.own_account(dependencies.settings(), function_arn)
    return dependencies.build_remediator(settings), exactly_once(settings, local_cache=True)


@lru_cache(maxsize=1)
def _watch(function_arn: str) -> Watch:
    remediator, once = _runtime(function_arn)
    return dependencies.build_watch(remediator.settings, remediator, once)


def is_watch(event: object) -> bool:
    return isinstance(event, dict) and event.get("opsbot") == "watch"


def handle(event: object, context: Any) -> dict[str, Any]:
    """Returns counts, for the logs and for tests; raising is reserved for failures the DLQ must keep."""
    token = current_lambda_context.set(context)
    try:
        # Every invocation of one execution environment has the same function (an alias keeps the account).
        function_arn = str(getattr(context, "invoked_function_arn", "") or "")
        if is_watch(event):
            assert isinstance(event, dict)
            summary = _watch(function_arn).run(event)
        elif is_ecs_event(event):
            assert isinstance(event, dict)
            summary = _follow_deployment(event, function_arn)
        else:
            remediator, once = _runtime(function_arn)
            summary = process(event, remediator, once)
    finally:
        current_lambda_context.reset(token)
    for key, value in summary.items():  # flushed by @metrics.log_metrics on the handler
        metrics.add_metric(name=f"alarm_{key}", unit="Count", value=value)
    return summary


def _follow_deployment(event: dict[str, Any], function_arn: str) -> dict[str, Any]:
    """A deployment's event: its thread is brought up to date (a Slack or AWS failure raises, so EventBridge's
    async retry and then the DLQ keep it; the watch run's poll catches up in any case)."""
    from opsbot.cutover.events import follow

    remediator, _ = _runtime(function_arn)
    config = remediator.settings
    target = follow(event, config.account_id, config.region, config.cluster, config.service)
    if isinstance(target, str):
        logger.warning("ECS event refused", extra={"reason": target})
        return {"deployment_events": 1, "refused": 1, "posted": 0}
    tracker = dependencies.build_tracker(config, remediator)
    posted = tracker.follow(target.deployment) if tracker is not None else 0
    logger.info("deployment followed", extra={"event": target.why, "deployment": target.deployment, "posted": posted})
    return {"deployment_events": 1, "refused": 0, "posted": posted}


def process(event: object, remediator: Remediator, once: Once) -> dict[str, Any]:
    parsed = parse_delivery(event)
    summary = {"transitions": len(parsed.transitions), "acted": 0, "duplicates": 0, "ignored": 0, "rejected": 0}
    for rejection in parsed.rejections:
        _reject(rejection, summary)
    for transition in parsed.transitions:
        ran, result = once(transition.dedupe_key, partial(_handle_one, remediator, transition))
        if not ran:
            summary["duplicates"] += 1
            logger.info(
                "duplicate delivery ignored", extra={"alarm": transition.alarm_name, "source": transition.source}
            )
        elif result == "rejected":
            summary["rejected"] += 1
        elif result == "acted":
            summary["acted"] += 1
        else:
            summary["ignored"] += 1
    return summary


def _handle_one(remediator: Remediator, transition: AlarmTransition) -> str:
    outcome = remediator.handle(transition)
    if isinstance(outcome, Rejection):
        logger.warning("alarm rejected", extra={"alarm": outcome.alarm_name, "reason": outcome.reason})
        return "rejected"
    if isinstance(outcome, Decision):
        logger.info(
            "alarm handled",
            extra={
                "alarm": transition.alarm_name,
                "action": outcome.action,
                "acted": outcome.acted,
                "reason": outcome.reason,
                "error": outcome.error,
            },
        )
        return "acted" if outcome.acted else "decided"
    return "ignored"


def _reject(rejection: Rejection, summary: dict[str, Any]) -> None:
    summary["rejected"] += 1
    logger.warning("delivery rejected", extra={"reason": rejection.reason, "source": rejection.source})
