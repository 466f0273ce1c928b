"""`to_dict()` for the frozen result records: plain JSON values, datetimes as ISO 8601 UTC."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any


def jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # PNG bytes travel beside the JSON, never inside it
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values (None stays None: unknown, not zero)."""
        return jsonable(self)
