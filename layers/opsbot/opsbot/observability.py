"""The one place that builds the Powertools logger and metrics.

Service name and log level come from ``POWERTOOLS_SERVICE_NAME`` / ``POWERTOOLS_LOG_LEVEL`` (template Globals).
X-Ray tracing is the function-level ``Tracing: Active`` setting; the X-Ray SDK is deliberately not bundled
(it pulls botocore into the layer and slows cold starts).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace="MyCandidateOpsbot")
