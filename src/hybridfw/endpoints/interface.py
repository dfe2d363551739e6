"""Types the endpoint-data layer hands out: service answers, stored versions, updates, diffs.

`AnswerSource` is the one abstraction: something that yields a raw /endpoints answer (the web
service, a saved file). Updates run every answer through the same guard whatever its source.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hybridfw.model import EndpointData


@dataclass(frozen=True)
class ServiceVersion:
    """The service's /version answer for one instance."""

    instance: str
    latest: str  # YYYYMMDDNN


@dataclass(frozen=True)
class Answer:
    """A raw /endpoints answer and what is known about where it came from."""

    raw: bytes
    version: str | None
    data_date: datetime
    source: str  # "service" or "file"
    label: str


@dataclass(frozen=True)
class ChangeRecord:
    """One record of the service's /changes answer (only the fields shown; `raw` keeps all)."""

    id: int
    endpoint_set_id: int
    disposition: str
    impact: str
    version: str
    effective_date: str
    added_ips: tuple[str, ...]
    added_urls: tuple[str, ...]
    removed_ips: tuple[str, ...]
    removed_urls: tuple[str, ...]
    raw: dict[str, Any] = field(compare=False, hash=False, default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpointSetId": self.endpoint_set_id,
            "disposition": self.disposition,
            "impact": self.impact,
            "version": self.version,
            "effectiveDate": self.effective_date,
            "add": {"ips": list(self.added_ips), "urls": list(self.added_urls)},
            "remove": {"ips": list(self.removed_ips), "urls": list(self.removed_urls)},
        }


@dataclass(frozen=True)
class StoredVersion:
    """One row of the store's history (without the raw answer)."""

    row_id: int
    instance: str
    version: str | None
    stored_at: datetime
    data_date: datetime
    sha256: str
    source: str
    label: str
    set_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row_id,
            "instance": self.instance,
            "version": self.version,
            "stored_at": self.stored_at.isoformat(),
            "data_date": self.data_date.isoformat(),
            "sha256": self.sha256,
            "source": self.source,
            "label": self.label,
            "sets": self.set_count,
        }


@dataclass(frozen=True)
class SetChange:
    """How one endpoint set (same id in both versions) changed."""

    id: int
    added_ips: tuple[str, ...]
    removed_ips: tuple[str, ...]
    added_urls: tuple[str, ...]
    removed_urls: tuple[str, ...]
    ports_before: dict[str, list[int]]
    ports_after: dict[str, list[int]]
    other_changes: dict[str, dict[str, Any]]  # field -> {"before": ..., "after": ...}
    impact: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "added_ips": list(self.added_ips),
            "removed_ips": list(self.removed_ips),
            "added_urls": list(self.added_urls),
            "removed_urls": list(self.removed_urls),
            "ports_before": self.ports_before,
            "ports_after": self.ports_after,
            "other_changes": self.other_changes,
            "impact": list(self.impact),
        }


@dataclass(frozen=True)
class EndpointDiff:
    """What changed between two versions of the endpoint list."""

    old_label: str
    new_label: str
    added_sets: tuple[dict[str, Any], ...]
    removed_sets: tuple[dict[str, Any], ...]
    changed_sets: tuple[SetChange, ...]

    def __bool__(self) -> bool:
        return bool(self.added_sets or self.removed_sets or self.changed_sets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.old_label,
            "to": self.new_label,
            "added_sets": list(self.added_sets),
            "removed_sets": list(self.removed_sets),
            "changed_sets": [c.to_dict() for c in self.changed_sets],
        }


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of one update: stored or not, what was in use before and now."""

    updated: bool
    previous: EndpointData | None
    current: EndpointData
    service_version: str | None
    diff: EndpointDiff | None
    message: str


class AnswerSource(abc.ABC):
    """Something that yields one raw /endpoints answer for an instance."""

    @abc.abstractmethod
    def fetch(self, instance: str) -> Answer:
        """Return the answer; raise UpstreamError or InputError with a one-line reason."""
