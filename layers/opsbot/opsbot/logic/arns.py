"""Reading ARNs (``arn:<partition>:<service>:<region>:<account>:<resource>``) without trusting them."""

from __future__ import annotations


def region_and_account(arn: str) -> tuple[str, str]:
    """``(region, account)`` of an ARN, empty strings for what it does not name or for anything not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[3], parts[4]
    return "", ""


def unqualified_function(arn: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>`` without an alias or version; empty if not one."""
    parts = arn.split(":")
    if len(parts) in (7, 8) and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function":
        return ":".join(parts[:7])
    return ""
