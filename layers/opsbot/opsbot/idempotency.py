"""Exactly-once execution keyed by a business key, on the Powertools idempotency table."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from opsbot.config import Settings
from opsbot.errors import AwsOperationError, aws_error_code

# The Lambda context of the invocation being handled, so in-progress records expire with the invocation.
current_lambda_context: ContextVar[Any] = ContextVar("current_lambda_context", default=None)

Once = Callable[[str, Callable[[], Any]], tuple[bool, Any]]


def _aws_code(exc: BaseException) -> str:
    """The AWS error code behind a Powertools persistence error (it wraps botocore's ClientError)."""
    return aws_error_code(exc) or type(exc.__cause__ or exc).__name__


def exactly_once(settings: Settings, *, local_cache: bool = False) -> Once:
    """``once(key, work) -> (ran, result)``: ``work`` runs at most once per key for 24 h.

    A repeat gets ``(False, <first result>)``; a repeat arriving while the first is still running gets
    ``(False, None)``. ``local_cache`` also remembers keys in this execution environment, which spares the
    table for the storms of duplicates that alarms produce.
    """
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
    )

    from opsbot.aws.clients import client
    from opsbot.observability import logger

    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=client("dynamodb", settings.region)
    )
    config = IdempotencyConfig(
        event_key_jmespath="key",
        expires_after_seconds=24 * 3600,
        use_local_cache=local_cache,
        local_cache_max_items=4096,
    )

    def once(key: str, work: Callable[[], Any]) -> tuple[bool, Any]:
        if current_lambda_context.get() is not None:
            config.register_lambda_context(current_lambda_context.get())
        ran = False

        @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
        def run_once(request: dict[str, str]) -> Any:  # noqa: ARG001 - Powertools hashes it as the key
            nonlocal ran
            ran = True
            return work()

        try:
            result = run_once(request={"key": key})
        except IdempotencyAlreadyInProgressError:
            logger.info("duplicate delivery while the first is still running; skipped", extra={"key": key})
            return False, None
        except IdempotencyPersistenceLayerError as exc:
            code = _aws_code(exc)
            if ran:  # done; only its completion record is missing (the in-progress one expires with the Lambda)
                logger.warning("exactly-once record not completed", extra={"key": key, "error": code})
                return True, None
            raise AwsOperationError("PutItem (exactly-once record)", code, "the exactly-once record could not be "
                                    "written, so nothing was run; try again in a minute") from exc  # fmt: skip
        return ran, result

    return once
