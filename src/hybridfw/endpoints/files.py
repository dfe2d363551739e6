"""Saved /endpoints answers on disk: air-gapped imports and `endpoints diff FILE FILE`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.interface import Answer, AnswerSource
from hybridfw.endpoints.parse import parse_endpoints
from hybridfw.errors import InputError
from hybridfw.model import EndpointData

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VERSION_RE = re.compile(r"^\d{10}$")


def answer_date(path: Path, version: str | None) -> datetime:
    """How old a saved answer is: its version's day, else a date in its name, else its mtime."""
    if version:
        return datetime.strptime(version[:8], "%Y%m%d").replace(tzinfo=UTC)
    match = _DATE_IN_NAME.search(path.name)
    if match:
        try:
            year, month, day = (int(g) for g in match.groups())
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class FileSource(AnswerSource):
    """An answer saved to a file (for example by a machine that can reach the service)."""

    def __init__(self, path: Path, version: str | None = None) -> None:
        if version is not None and not _VERSION_RE.match(version):
            raise InputError(f"a version is 10 digits (YYYYMMDDNN), got {version!r}", field="version")
        self.path = path
        self.version = version

    def fetch(self, instance: str) -> Answer:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path=str(self.path)) from None
        when = answer_date(self.path, self.version)
        version_text = f"version {self.version}" if self.version else "no service version"
        return Answer(raw=raw, version=self.version, data_date=when, source="file",
                      label=f"file {self.path.name} ({version_text}, dated {when:%Y-%m-%d})")


def load_answer_file(path: Path, instance: str, version: str | None = None) -> EndpointData:
    """A saved answer as EndpointData (not stored). Bad files raise InputError naming them."""
    answer = FileSource(path, version).fetch(instance)
    return EndpointData(
        instance=instance, version=answer.version, data_date=answer.data_date, source="file",
        label=answer.label, sha256=sha256_hex(answer.raw),
        sets=parse_endpoints(answer.raw, source=str(path)),
    )
