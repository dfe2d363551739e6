"""Turn the time texts firewalls log into aware datetimes (UTC when the log gives no zone).

Shapes seen: ISO 8601 / RFC 5424 (`2026-12-01T13:11:22.5+00:00`, journalctl short-iso
`2026-12-01T13:11:22+0000`), BSD syslog without a year (`Dec  1 13:11:22`), Cisco ASA
(`Dec 01 2026 13:11:22`), `dmesg -T` (`Tue Dec  1 13:11:22 2026`), PAN-OS
(`2026/12/01 13:11:22`), FortiGate / Windows (`2026-12-01 13:11:22`), and epoch
microseconds (journal JSON). A syslog time without a year takes the year that puts it at most
a day in the future of `now`. The results are cached per text: logs repeat each second.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_BSD = re.compile(r"(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) +(\d{1,2}) (?:(\d{4}) )?"
                  r"(\d\d):(\d\d):(\d\d)(?: (\d{4}))?")
_ZONE = re.compile(r"([+-]\d\d)(\d\d)$")


class TimeParser:
    """Parses and caches time texts; `now` fixes the year of year-less syslog times."""

    cache_limit = 65_536  # distinct time texts remembered before the cache starts afresh

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        self._cache: dict[str, datetime | None] = {}

    def __call__(self, text: str) -> datetime | None:
        try:
            return self._cache[text]
        except KeyError:
            if len(self._cache) >= self.cache_limit:  # sub-second times: one entry per line
                self._cache.clear()
            when = self._cache[text] = self._parse(text.strip())
            return when

    def _parse(self, text: str) -> datetime | None:
        if not text:
            return None
        if text.isdigit() and len(text) >= 15:  # epoch microseconds
            return datetime.fromtimestamp(int(text) / 1e6, UTC)
        if text[:1].isdigit():
            return _iso(text)
        return self._bsd(text)

    def _bsd(self, text: str) -> datetime | None:
        m = _BSD.fullmatch(text)
        if m is None or m[1] not in _MONTHS:
            return None
        month, day = _MONTHS[m[1]], int(m[2])
        year_text = m[3] or m[7]
        hms = int(m[4]), int(m[5]), int(m[6])
        try:
            if year_text:
                return datetime(int(year_text), month, day, *hms, tzinfo=UTC)
            when = datetime(self.now.year, month, day, *hms, tzinfo=UTC)
        except ValueError:
            return None
        if when > self.now + timedelta(days=1):
            when = when.replace(year=when.year - 1)
        return when


def _iso(text: str) -> datetime | None:
    text = _ZONE.sub(r"\1:\2", text.replace("/", "-", 2))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
