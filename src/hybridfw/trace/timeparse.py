"""Timestamps as logs write them, to aware UTC datetimes (None when unreadable)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(text: str) -> datetime | None:
    """ISO 8601 as in W3C logs ('2026-05-29T10:00:00.123Z', up to 7 fraction digits)."""
    text = _FRACTION.sub(r"\1", text.strip())
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
