"""What changed between two versions of the endpoint list, in the service's own vocabulary.

The service's /changes records carry one `impact` each. A diff of two whole answers can see
several kinds of change in one set, so each set gets a list of impacts. Mapping used:

- addresses added                      -> AddedIp; URLs added -> AddedUrl; both -> AddedIpAndUrl
- addresses or URLs removed            -> RemovedIpOrUrl, or MovedIpOrUrl when what was removed
                                          from one set shows up as added in another set
- `expressRoute` flipped               -> ChangedIsExpressRoute
- ports, category, required, notes,
  service area changed                 -> OtherNonPriorityChanges (the service files port and
                                          attribute changes under `previous`/`current` with it)
A whole set added is classified by what it brings; a whole set removed is RemovedIpOrUrl.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridfw.addresses import AddressSet
from hybridfw.endpoints.interface import EndpointDiff, SetChange
from hybridfw.model import EndpointData, EndpointSet

ADDED_IP = "AddedIp"
ADDED_URL = "AddedUrl"
ADDED_IP_AND_URL = "AddedIpAndUrl"
REMOVED = "RemovedIpOrUrl"
MOVED = "MovedIpOrUrl"
EXPRESS_ROUTE = "ChangedIsExpressRoute"
OTHER = "OtherNonPriorityChanges"

_OTHER_FIELDS = ("service_area", "category", "required", "notes")
_FIELD_KEYS = {"service_area": "serviceArea", "category": "category", "required": "required",
               "notes": "notes", "express_route": "expressRoute"}

Sets = EndpointData | Sequence[EndpointSet]


def _sets(value: Sets) -> tuple[tuple[EndpointSet, ...], str]:
    if isinstance(value, EndpointData):
        return value.sets, value.label
    return tuple(value), "sets"


def _added_impact(ips: bool, urls: bool) -> str | None:
    if ips and urls:
        return ADDED_IP_AND_URL
    if ips:
        return ADDED_IP
    if urls:
        return ADDED_URL
    return None


def _ports(s: EndpointSet) -> dict[str, list[int]]:
    return {"tcp": list(s.tcp_ports), "udp": list(s.udp_ports)}


def _set_summary(s: EndpointSet, impact: str) -> dict[str, Any]:
    return {"id": s.id, "serviceArea": s.service_area, "urls": list(s.urls), "ips": s.ips.to_cidrs(),
            "tcpPorts": list(s.tcp_ports), "udpPorts": list(s.udp_ports), "impact": impact}


class _Moves:
    """What was added anywhere, to tell a move between sets from a plain removal."""

    def __init__(self, old: dict[int, EndpointSet], new: dict[int, EndpointSet]) -> None:
        self.ips: dict[int, AddressSet] = {}
        self.urls: dict[int, set[str]] = {}
        for set_id, s in new.items():
            before = old.get(set_id)
            self.ips[set_id] = s.ips - before.ips if before else s.ips
            self.urls[set_id] = set(s.urls) - set(before.urls if before else ())

    def moved(self, set_id: int, ips: AddressSet, urls: set[str]) -> bool:
        for other_id, added in self.ips.items():
            if other_id != set_id and (not ips.isdisjoint(added) or urls & self.urls[other_id]):
                return True
        return False


def _change(old: EndpointSet, new: EndpointSet, moves: _Moves) -> SetChange | None:
    added_ips, removed_ips = new.ips - old.ips, old.ips - new.ips
    added_urls = sorted(set(new.urls) - set(old.urls))
    removed_urls = sorted(set(old.urls) - set(new.urls))
    other = {
        _FIELD_KEYS[f]: {"before": getattr(old, f), "after": getattr(new, f)}
        for f in (*_OTHER_FIELDS, "express_route") if getattr(old, f) != getattr(new, f)
    }
    ports_changed = _ports(old) != _ports(new)
    if not (added_ips or removed_ips or added_urls or removed_urls or other or ports_changed):
        return None
    impact: list[str] = []
    added = _added_impact(bool(added_ips), bool(added_urls))
    if added:
        impact.append(added)
    if removed_ips or removed_urls:
        impact.append(MOVED if moves.moved(old.id, removed_ips, set(removed_urls)) else REMOVED)
    if "expressRoute" in other:
        impact.append(EXPRESS_ROUTE)
    if ports_changed or set(other) - {"expressRoute"}:
        impact.append(OTHER)
    return SetChange(
        id=old.id, added_ips=tuple(added_ips.to_cidrs()), removed_ips=tuple(removed_ips.to_cidrs()),
        added_urls=tuple(added_urls), removed_urls=tuple(removed_urls),
        ports_before=_ports(old), ports_after=_ports(new), other_changes=other, impact=tuple(impact),
    )


def diff_endpoints(old: Sets, new: Sets) -> EndpointDiff:
    """Compare two versions set by set (matched by id)."""
    old_sets, old_label = _sets(old)
    new_sets, new_label = _sets(new)
    old_by_id = {s.id: s for s in old_sets}
    new_by_id = {s.id: s for s in new_sets}
    moves = _Moves(old_by_id, new_by_id)
    added = tuple(
        _set_summary(s, _added_impact(bool(s.ips), bool(s.urls)) or OTHER)
        for set_id, s in sorted(new_by_id.items()) if set_id not in old_by_id
    )
    removed = tuple(
        _set_summary(s, REMOVED) for set_id, s in sorted(old_by_id.items()) if set_id not in new_by_id
    )
    changed = tuple(
        change for set_id, s in sorted(old_by_id.items()) if set_id in new_by_id
        if (change := _change(s, new_by_id[set_id], moves)) is not None
    )
    return EndpointDiff(old_label=old_label, new_label=new_label, added_sets=added,
                        removed_sets=removed, changed_sets=changed)
