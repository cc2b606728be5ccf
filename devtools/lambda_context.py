"""The one fake LambdaContext shared by tests, the demo and the benchmarks."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeLambdaContext:
    function_name: str = "mycandidate-opsbot-slack-commands"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:af-south-1:123456789012:function:mycandidate-opsbot-slack-commands"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: float = 30.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000)


class CapturingLambdaClient:
    """Stands in for the Lambda client: keeps each async self-invocation payload for delivery."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:  # noqa: ARG002 - boto3 signature
        self.payloads.append(json.loads(Payload))
        return {"StatusCode": 202}
