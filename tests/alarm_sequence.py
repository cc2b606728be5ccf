"""The alarm delivery sequence used by the integration and e2e tiers: every file in `events/alarm_*.json`."""

from __future__ import annotations

# In delivery order (the CPU alarm's changes chronologically, as a late change is ignored on purpose):
# (acted, duplicates, rejected). The CPU transition arrives by all three paths.
EXPECTED: dict[str, tuple[int, int, int]] = {
    "alarm_sns_foreign_account.json": (0, 0, 1),  # another account's CPU alarm naming our service: rejected
    "alarm_eventbridge_cpu_high.json": (1, 0, 0),  # scale_out: min 2 -> 4
    "alarm_sns_cpu_high.json": (0, 1, 0),  # the same transition again: ignored
    "alarm_lambda_action_cpu_high.json": (0, 1, 0),  # and again
    "alarm_sns_memory_high.json": (0, 0, 0),  # scale_out is cooling down
    "alarm_other_region.json": (0, 0, 1),
    "alarm_missing_dimensions.json": (0, 0, 1),  # the CPU alarm at 05:10, before its recovery at 05:15
    "alarm_eventbridge_composite_suppressed.json": (0, 0, 0),  # suppressed by the maintenance window: no action
    "alarm_eventbridge_math_5xx_rate.json": (1, 0, 0),  # no deployment to roll back: replace tasks
    "alarm_sns_math_5xx_rate.json": (0, 1, 0),
    "alarm_lambda_action_math_5xx_rate.json": (0, 1, 0),
    # The 5xx alarm's replacement is still deploying; it began after this alarm fired, so it is not what set it off:
    # not rolled back, and not restarted by a second replacement.
    "alarm_eventbridge_unhealthy_hosts.json": (0, 0, 0),
    "alarm_eventbridge_anomaly_response_time.json": (0, 0, 0),  # scale_out cooling down
    "alarm_sns_anomaly_response_time.json": (0, 1, 0),
    "alarm_lambda_action_anomaly_response_time.json": (0, 1, 0),
    "alarm_eventbridge_composite_web_degraded.json": (0, 0, 0),  # no runbook: notify
    "alarm_sns_composite_web_degraded.json": (0, 1, 0),
    "alarm_lambda_action_composite_web_degraded.json": (0, 1, 0),
    "alarm_eventbridge_rds_connections.json": (0, 0, 0),  # notify with figures
    "alarm_lambda_action_rds_free_storage.json": (0, 0, 0),
    "alarm_sns_redis_evictions.json": (0, 0, 0),
    "alarm_eventbridge_cpu_ok.json": (0, 0, 0),  # recovery: incident updated
    "alarm_eventbridge_insufficient_data.json": (0, 0, 0),  # 05:30, OK -> no data: noise
    "alarm_sns_not_an_alarm.json": (0, 0, 1),
    "alarm_sns_malformed_message.json": (0, 0, 1),
    "alarm_unknown_shape.json": (0, 0, 1),
}

# One incident per distinct ALARM transition in scope; noise, duplicates and rejects post nothing.
EXPECTED_INCIDENTS = 9
