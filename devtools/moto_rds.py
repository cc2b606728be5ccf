"""Test support: moto's RDS extended with ``DescribeAccountAttributes`` (moto 5.2 lacks it).

The quotas reported are the ones the bot reads: ``ManualSnapshots`` (used: the manual snapshots of the account and
region; max: AWS's default of 100, or what :func:`set_manual_snapshot_quota` gave it) and ``DBInstances``.
The response is validated against botocore's model. Never shipped in the Lambda layer.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from botocore.validate import ParamValidator
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.rds.models import rds_backends
from moto.rds.responses import RDSResponse

__all__ = ["DEFAULT_MANUAL_SNAPSHOTS", "install", "set_manual_snapshot_quota"]

DEFAULT_MANUAL_SNAPSHOTS: Final = 100
_LOCK = threading.RLock()
_INSTALLED_FLAG: Final = "_opsbot_account_attributes"
_MAX_ATTR: Final = "_opsbot_manual_snapshot_quota"  # on moto's backend, so moto's reset clears it


def set_manual_snapshot_quota(account: str, region: str, maximum: int) -> None:
    setattr(rds_backends[account][region], _MAX_ATTR, int(maximum))


def _describe_account_attributes(self: RDSResponse) -> ActionResult:
    backend = self.backend
    manual = sum(1 for s in backend.database_snapshots.values() if getattr(s, "snapshot_type", "") == "manual")
    result: dict[str, Any] = {
        "AccountQuotas": [
            {
                "AccountQuotaName": "ManualSnapshots",
                "Used": manual,
                "Max": int(getattr(backend, _MAX_ATTR, DEFAULT_MANUAL_SNAPSHOTS)),
            },
            {"AccountQuotaName": "DBInstances", "Used": len(backend.databases), "Max": 40},
        ]
    }
    shape = get_service_model("rds").operation_model("DescribeAccountAttributes").output_shape
    report = ParamValidator().validate(result, shape)
    if report.has_errors():
        raise AssertionError(report.generate_report())  # the fake would be wrong, not the caller
    return ActionResult(result)


def install() -> None:
    with _LOCK:
        if getattr(RDSResponse, _INSTALLED_FLAG, False):
            return
        RDSResponse.describe_account_attributes = _describe_account_attributes  # type: ignore[attr-defined]
        setattr(RDSResponse, _INSTALLED_FLAG, True)
