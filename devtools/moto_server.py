"""moto's server with the project's extensions installed; the e2e moto container's command.

The extensions: ECS service deployments (``moto_ecs``), Fargate tasks without container memory
(``moto_ecs_tasks``), CloudWatch alarm mute rules (``moto_cloudwatch``), the Fargate vCPU quota
(``moto_servicequotas``) and RDS's ``DescribeAccountAttributes`` (``moto_rds``).

Usage: ``python -m devtools.moto_server [moto.server options]`` (default ``--host 0.0.0.0 --port 5000``).
Test support only: never shipped in the Lambda layer.
"""

from __future__ import annotations

import sys

from moto import server

from devtools import moto_cloudwatch, moto_ecs, moto_ecs_tasks, moto_rds, moto_servicequotas

DEFAULT_ARGS = ("--host", "0.0.0.0", "--port", "5000")


def main(argv: list[str] | None = None) -> None:
    """Install the extension, then serve in the foreground (moto.server.main) until interrupted."""
    args = list(sys.argv[1:] if argv is None else argv) or list(DEFAULT_ARGS)
    moto_ecs.install()
    moto_ecs_tasks.install()
    moto_cloudwatch.install()
    moto_servicequotas.install()
    moto_rds.install()
    server.main(args)


if __name__ == "__main__":
    main()
