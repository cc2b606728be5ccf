"""Test support: moto's Service Quotas extended with AWS Fargate's On-Demand vCPU quota.

moto 5.2 serves ``GetServiceQuota`` for VPC only and lacks ``GetAWSDefaultServiceQuota``. :func:`install` makes
both answer for ``fargate`` / ``L-3032A538`` ("Fargate On-Demand vCPU resource count") as AWS does: the default
from ``GetAWSDefaultServiceQuota``, and from ``GetServiceQuota`` the value applied to the account — set with
:func:`apply_quota` (in-process stacks and tests) — or ``NoSuchResourceException`` where none was applied, so the
bot's fall-back to the default is exercised. Requests and responses are validated against botocore's model.
Never shipped in the Lambda layer.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Final

from botocore.validate import ParamValidator
from moto.core.exceptions import JsonRESTError
from moto.core.utils import get_service_model
from moto.servicequotas.models import ServiceQuotasBackend, servicequotas_backends
from moto.servicequotas.responses import ServiceQuotasResponse

__all__ = ["DEFAULT_FARGATE_VCPU", "apply_quota", "install"]

DEFAULT_FARGATE_VCPU: Final = 4000.0
_LOCK = threading.RLock()
_INSTALLED_FLAG: Final = "_opsbot_fargate_quota"
_APPLIED_ATTR: Final = "_opsbot_applied_quotas"  # on moto's backend, so moto's reset clears it
_DEFAULTS: Final = {
    ("fargate", "L-3032A538"): ("AWS Fargate", "Fargate On-Demand vCPU resource count", DEFAULT_FARGATE_VCPU),
}


class _NoSuchResource(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("NoSuchResourceException", message)


def _validate(operation: str, params: dict[str, Any], output: bool = False) -> None:
    model = get_service_model("service-quotas").operation_model(operation)
    shape = model.output_shape if output else model.input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise JsonRESTError("ValidationException", report.generate_report().replace("\n", "; "))


def _quota(backend: ServiceQuotasBackend, service: str, code: str, value: float) -> dict[str, Any]:
    service_name, quota_name, _ = _DEFAULTS[(service, code)]
    return {
        "ServiceCode": service,
        "ServiceName": service_name,
        "QuotaArn": f"arn:aws:servicequotas:{backend.region_name}:{backend.account_id}:{service}/{code}",
        "QuotaCode": code,
        "QuotaName": quota_name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def _applied(backend: ServiceQuotasBackend) -> dict[tuple[str, str], float]:
    applied: dict[tuple[str, str], float] | None = getattr(backend, _APPLIED_ATTR, None)
    if applied is None:
        applied = {}
        setattr(backend, _APPLIED_ATTR, applied)
    return applied


def apply_quota(account: str, region: str, value: float, service: str = "fargate", code: str = "L-3032A538") -> None:
    """Give the account an applied value (as after an approved increase request)."""
    with _LOCK:
        _applied(servicequotas_backends[account][region])[(service, code)] = float(value)


def _answer(operation: str, quota: dict[str, Any]) -> str:
    _validate(operation, {"Quota": quota}, output=True)
    return json.dumps({"Quota": quota})


def install() -> None:
    """Patch moto's Service Quotas in this process (idempotent)."""
    with _LOCK:
        if getattr(ServiceQuotasResponse, _INSTALLED_FLAG, False):
            return
        original = ServiceQuotasResponse.get_service_quota

        def get_service_quota(self: ServiceQuotasResponse) -> str:
            params = json.loads(self.body)
            _validate("GetServiceQuota", params)
            key = (str(params["ServiceCode"]), str(params["QuotaCode"]))
            if key not in _DEFAULTS:
                return original(self)
            with _LOCK:
                value = _applied(self.backend).get(key)
            if value is None:
                raise _NoSuchResource(f"The quota {key[1]} of {key[0]} has no applied value in this account.")
            return _answer("GetServiceQuota", _quota(self.backend, *key, value))

        def get_aws_default_service_quota(self: ServiceQuotasResponse) -> str:
            params = json.loads(self.body)
            _validate("GetAWSDefaultServiceQuota", params)
            key = (str(params["ServiceCode"]), str(params["QuotaCode"]))
            if key not in _DEFAULTS:
                raise _NoSuchResource(f"No default quota {key[1]} for service {key[0]}.")
            return _answer("GetAWSDefaultServiceQuota", _quota(self.backend, *key, _DEFAULTS[key][2]))

        ServiceQuotasResponse.get_service_quota = get_service_quota  # type: ignore[method-assign]
        ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]
        setattr(ServiceQuotasResponse, _INSTALLED_FLAG, True)
