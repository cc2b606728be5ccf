"""Build the requests Slack sends, signed the way Slack signs them, wrapped as API Gateway (HTTP API) events.

The same events are written to ``events/`` for ``sam local invoke`` (re-signed at invoke time, because Slack
signatures are only valid for five minutes) and used in-process by tests, the demo and the benchmarks.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

DEFAULT_TEAM = "T0MYCANDID"


def slash_command_body(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    command: str = "/mycandidate",
    trigger_id: str | None = None,
    team_id: str = DEFAULT_TEAM,
) -> str:
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "mycandidate-ops",
            "channel_id": channel_id,
            "channel_name": "ops",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0OPSBOT",
            "response_url": response_url,
            "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
        }
    )


def block_action_body(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str | None = None,
    team_id: str = DEFAULT_TEAM,
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": team_id},
        "user": {"id": user_id, "username": user_id.lower()},
        "api_app_id": "A0OPSBOT",
        "channel": {"id": channel_id},
        "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex}",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "actions",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def api_gateway_event(
    body: str, signing_secret: str, *, timestamp: int | None = None, retry_num: int = 0
) -> dict[str, Any]:
    """An HTTP API (payload v2) event carrying ``body`` signed with ``signing_secret``."""
    ts = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=str(ts), body=body)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": signature,
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if retry_num:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = "http_timeout"
    return {
        "version": "2.0",
        "routeKey": "POST /slack/events",
        "rawPath": "/slack/events",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "http": {"method": "POST", "path": "/slack/events", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": uuid.uuid4().hex,
            "routeKey": "POST /slack/events",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def resign(event: dict[str, Any], signing_secret: str, *, timestamp: int | None = None) -> dict[str, Any]:
    """Return a copy of a stored event with a fresh timestamp and signature (stored events go stale in 5 min)."""
    fresh = api_gateway_event(event["body"], signing_secret, timestamp=timestamp)
    merged: dict[str, Any] = json.loads(json.dumps(event))
    merged["headers"].update({k: fresh["headers"][k] for k in ("x-slack-request-timestamp", "x-slack-signature")})
    return merged


def retarget(event: dict[str, Any], response_base: str, signing_secret: str) -> dict[str, Any]:
    """Point a stored event's ``response_url`` at ``response_base`` (a recorder) and sign it afresh."""
    from urllib.parse import parse_qsl, urlsplit

    fields = dict(parse_qsl(event["body"], keep_blank_values=True))
    if "payload" in fields:
        payload = json.loads(fields["payload"])
        payload["response_url"] = response_base.rstrip("/") + urlsplit(payload["response_url"]).path
        fields["payload"] = json.dumps(payload)
    else:
        fields["response_url"] = response_base.rstrip("/") + urlsplit(fields["response_url"]).path
    moved = json.loads(json.dumps(event))
    moved["body"] = urlencode(fields)
    return resign(moved, signing_secret)


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.slack_requests events/slack_command_status.json > /tmp/signed.json`` re-signs an event
    with the local signing secret, for a manual ``sam local invoke -e /tmp/signed.json``."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Re-sign a stored Slack event so it is valid for five minutes.")
    parser.add_argument("event", type=Path)
    parser.add_argument("--secret", default="local-signing-secret-not-for-production")
    args = parser.parse_args(argv)
    print(json.dumps(resign(json.loads(args.event.read_text()), args.secret), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
