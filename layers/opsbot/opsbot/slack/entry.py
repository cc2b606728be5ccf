"""The Slack function's one call: check the request, dispatch through Bolt.

The Bolt app needs the signing secret and the token when it is built, and the secret rotates: the credentials are
asked of the provider (cached by Powertools for ``max_age``) on every request, and the app is rebuilt when they
differ from those it was built with. The AWS ports and the idempotency store are kept across rebuilds.

A rotated signing secret is picked up at once, not after ``max_age``: when a well-formed, fresh signature does not
match, the secret is read again past the cache and the request checked once more. At most one such re-read per
``REREAD_INTERVAL_SECONDS`` per container, so a flood of bad signatures costs Secrets Manager two calls a minute;
requests that verify (the ack path) never read the secret more often than before."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache, lru_cache, partial
from typing import Any

from slack_sdk.signature import SignatureVerifier

from opsbot import dependencies
from opsbot.aws.lambda_invoke import EventInvoker, environment_credentials
from opsbot.commands.base import Ports
from opsbot.config import Settings
from opsbot.idempotency import Once, current_lambda_context, exactly_once
from opsbot.observability import logger
from opsbot.slack.app import build_app
from opsbot.slack.credentials import CredentialsSource, SlackCredentials
from opsbot.slack.lambda_adapter import LambdaRequestHandler, SelfInvokingLazyRunner
from opsbot.slack.request_check import SIGNATURE_MISMATCH, Refusal, check_request

REREAD_INTERVAL_SECONDS = 30.0


class SlackEndpoint:
    """Bolt's Lambda handler behind ``check_request``: malformed or unsigned requests never reach Bolt."""

    def __init__(self, handler: LambdaRequestHandler, signing_secret: str, app_id: str = "") -> None:
        self.handler = handler
        self._verifier = SignatureVerifier(signing_secret)
        self._app_id = app_id

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        return self.respond(self.check(event), context)

    def check(self, event: Any) -> dict[str, Any] | Refusal:
        return check_request(event, self._verifier, self._app_id)

    def respond(self, checked: dict[str, Any] | Refusal, context: Any) -> dict[str, Any]:
        if isinstance(checked, Refusal):
            # One line, no body and no headers: the request is untrusted and may carry anything.
            logger.warning("slack request refused", extra={"status": checked.status, "reason": checked.reason})
            return checked.response()
        return self.handler.handle(checked, context)


class Endpoints:
    """One per container: the endpoint for the credentials the provider returns now."""

    def __init__(
        self,
        credentials: CredentialsSource,
        build: Callable[[SlackCredentials], SlackEndpoint],
        clock: Callable[[], float] = time.monotonic,
        reread_interval: float = REREAD_INTERVAL_SECONDS,
    ) -> None:
        self._credentials = credentials
        self._build = build
        self._built: tuple[SlackCredentials, SlackEndpoint] | None = None
        self._clock = clock
        self._reread_interval = reread_interval
        self._reread_at: float | None = None  # never yet (monotonic time may start near 0)

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        endpoint = self.current()
        checked = endpoint.check(event)
        if checked == SIGNATURE_MISMATCH and self._may_reread():
            fresh = self._reread()
            if fresh is not endpoint:  # a new secret: check this request again with it
                endpoint, checked = fresh, fresh.check(event)
        return endpoint.respond(checked, context)

    def _may_reread(self) -> bool:
        now = self._clock()
        if self._reread_at is not None and now - self._reread_at < self._reread_interval:
            return False
        self._reread_at = now  # counted even if the read fails: a throttled Secrets Manager is not hammered
        return True

    def _reread(self) -> SlackEndpoint:
        before = self._built[1] if self._built is not None else None
        fresh = self.current(force=True)
        # Which secret is in use is not logged, only whether it changed
        logger.info(
            "Slack signature did not match; signing secret re-read",
            extra={"secret_changed": fresh is not before, "next_reread_after_seconds": self._reread_interval},
        )
        return fresh

    def current(self, *, force: bool = False) -> SlackEndpoint:
        try:
            # a dictionary lookup while Powertools' cache is fresh; ``force`` goes to Secrets Manager
            credentials = self._credentials.get(force=True) if force else self._credentials.get()
        except Exception as exc:
            if self._built is None:
                raise
            # A failed refresh (Secrets Manager throttled or unreachable) must not refuse every command until it
            # recovers: keep serving with the credentials already in use; the next request tries again.
            logger.warning(
                "Slack credentials not refreshed; using the current ones", extra={"error": type(exc).__name__}
            )
            return self._built[1]
        if self._built is None or self._built[0] != credentials:
            if self._built is not None:
                logger.info("Slack credentials changed; rebuilding the Bolt app")
            self._built = (credentials, self._build(credentials))
        return self._built[1]


def build_endpoint(
    settings: Settings,
    credentials: SlackCredentials,
    ports: Callable[[], Ports],
    once: Callable[[str, Callable[[], None]], object],
) -> SlackEndpoint:
    app = build_app(settings, credentials, ports=ports, once=once)
    runner = SelfInvokingLazyRunner(app.logger, partial(_lambda_invoker, settings.region))
    return SlackEndpoint(LambdaRequestHandler(app, runner), credentials.signing_secret, settings.slack_app_id)


@lru_cache(maxsize=1)
def _endpoints() -> Endpoints:
    # Caches the provider and the AWS wiring for the container's life, not the credentials: those are asked for
    # on every request.
    settings = dependencies.settings()
    ports = cache(partial(dependencies.build_ports, settings))  # built on the first lazy run, then reused
    once = _lazy_once(settings)
    return Endpoints(
        CredentialsSource(settings), lambda credentials: build_endpoint(settings, credentials, ports, once)
    )


def endpoint() -> SlackEndpoint:
    return _endpoints().current()


def _lazy_once(settings: Settings) -> Callable[[str, Callable[[], None]], object]:
    # Built on first use: the ack path of a cold start must not pay for DynamoDB clients.
    holder: list[Once] = []

    def once(key: str, work: Callable[[], None]) -> None:
        if not holder:
            holder.append(exactly_once(settings))
        holder[0](key, work)

    return once


def _lambda_invoker(region: str) -> Any:
    """Bolt's self-invocation in the configured region: one signed request with the function's own credentials
    (``opsbot.aws.lambda_invoke``: neither boto3 nor an SDK client on the ack path), else the SDK's Lambda client
    (a developer's profile)."""
    from opsbot.aws.endpoints import endpoint_override

    credentials = environment_credentials()
    if credentials is None:
        from opsbot.aws.clients import client

        return client("lambda", region)
    return EventInvoker(region, credentials, endpoint_url=endpoint_override("lambda"))


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = current_lambda_context.set(context)
    try:
        return _endpoints().handle(event, context)
    finally:
        current_lambda_context.reset(token)
