"""Reading ARNs (``arn:<partition>:<service>:<region>:<account>:<resource>``) without trusting them."""

from __future__ import annotations


def region_and_account(arn: str) -> tuple[str, str]:
    """``(region, account)`` of an ARN, empty strings for what it does not name or for anything not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[3], parts[4]
    return "", ""
