"""Translate botocore failures into messages an operator can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from opsbot.errors import AwsOperationError

_REASONS = {
    "ThrottlingException": "AWS is throttling requests; try again in a minute",
    "Throttling": "AWS is throttling requests; try again in a minute",
    "TooManyRequestsException": "AWS is throttling requests; try again in a minute",
    "AccessDeniedException": "the bot's IAM role is not allowed to do this",
    "AccessDenied": "the bot's IAM role is not allowed to do this",
    "UnauthorizedOperation": "the bot's IAM role is not allowed to do this",
    "ServiceNotFoundException": "the ECS service was not found",
    "ClusterNotFoundException": "the ECS cluster was not found",
    "ObjectNotFoundException": "the scalable target was not found",
    "DBInstanceNotFound": "the database instance was not found",
    "ResourceNotFoundException": "a resource the bot needs was not found",
    "ValidationException": "AWS rejected the request as invalid",
}


@contextmanager
def aws_call(operation: str) -> Iterator[None]:
    """Wrap one AWS operation; re-raise failures as ``AwsOperationError`` without leaking payloads."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        raise AwsOperationError(operation, code, _REASONS.get(code, "AWS returned an error")) from exc
    except BotoCoreError as exc:
        raise AwsOperationError(operation, type(exc).__name__, "could not reach AWS") from exc


def conditional_write(operation: str, write: Callable[[], Any]) -> bool:
    """Run one DynamoDB write with a ``ConditionExpression``: ``False`` when the condition did not hold (someone
    else holds the claim), ``True`` when written; any other failure becomes ``AwsOperationError``."""
    with aws_call(operation):
        try:
            write()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
    return True
