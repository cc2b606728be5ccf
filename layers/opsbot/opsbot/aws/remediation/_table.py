"""What every part of the remediation state shares: the DynamoDB client, the operations table and its keys."""

from __future__ import annotations

from typing import Any


class TableItems:
    """Base of the remediation state's parts: items of the single operations table, keyed ``pk`` / ``sk``."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}
