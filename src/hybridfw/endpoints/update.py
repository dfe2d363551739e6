"""Bring new endpoint data into the store, behind the safe-update guard.

The guard refuses an answer that is empty, malformed, not the documented schema, or that
removes more than `max_removal` percent of the addresses of any Exchange set (matched by id,
and again by content: the union of the Exchange TCP 25 sets). A refused answer is never
stored; the data in use stays what it was. `force` overrides only the removal check: a
malformed answer cannot be used at all.

No console output here: the CLI and the feed server's background refresher both call this.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.endpoints import check_instance, load_current
from hybridfw.endpoints.client import ClientSettings, ServiceClient, ServiceSource
from hybridfw.endpoints.diff import diff_endpoints
from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.files import FileSource
from hybridfw.endpoints.interface import Answer, AnswerSource, UpdateResult
from hybridfw.endpoints.parse import SchemaError, parse_endpoints
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.store import open_store
from hybridfw.errors import InputError, UpstreamError
from hybridfw.model import EndpointData, EndpointSet

log = logging.getLogger(__name__)

DEFAULT_MAX_REMOVAL = 20.0


def _exchange_pairs(old: Sequence[EndpointSet], new: Sequence[EndpointSet]
                    ) -> Iterator[tuple[str, AddressSet, AddressSet]]:
    new_by_id = {s.id: s for s in new}
    for s in old:
        if s.service_area == "Exchange" and s.ips:
            after = new_by_id.get(s.id)
            yield f"Exchange set {s.id}", s.ips, after.ips if after else AddressSet.empty()
    yield "the SMTP sets (Exchange, TCP 25)", eop_smtp_addresses(old), eop_smtp_addresses(new)


def removal_problems(old: Sequence[EndpointSet], new: Sequence[EndpointSet],
                     max_removal: float) -> list[str]:
    """Why `new` removes too much, one reason per set and family; empty when it does not.

    Families are counted apart: one IPv6 /48 outweighs all of IPv4, so a mixed count would hide
    an IPv4 set losing half its ranges.
    """
    return [problem for name, before, after in _exchange_pairs(old, new)
            for problem in removal_of(name, before, after, max_removal)]


def removal_of(name: str, before: AddressSet, after: AddressSet, max_removal: float) -> list[str]:
    """The guard for one named set: why going from `before` to `after` loses more than
    `max_removal` percent of either family's addresses (also used by `hybridfw apply`)."""
    problems = []
    for fam in (4, 6):
        total = before.num_addresses(fam)
        if not total:
            continue
        gone = (before - after).to_cidrs(fam)
        percent = 100.0 * (before - after).num_addresses(fam) / total
        if percent > max_removal:
            problems.append(f"{name} loses {percent:.1f}% of its IPv{fam} addresses "
                            f"({', '.join(gone[:4])}{', …' if len(gone) > 4 else ''})")
    return problems


def _previous(home: Path, instance: str) -> EndpointData | None:
    try:
        return load_current(instance, home)
    except InputError:
        return None  # no store, and no snapshot for this instance


def _accept(home: Path, instance: str, answer: Answer, previous: EndpointData | None, *,
            max_removal: float, force: bool, upstream: bool) -> UpdateResult:
    try:
        sets = parse_endpoints(answer.raw, source=answer.label)
    except SchemaError as exc:
        if upstream:
            raise UpstreamError(f"refused the new answer, old data kept: {exc}") from None
        raise
    if previous is not None:
        problems = removal_problems(previous.sets, sets, max_removal)
        if problems and not force:
            raise UpstreamError(
                f"refused {answer.label}, old data kept: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
                + f"; more than --max-removal {max_removal:g}%, use --force if this is expected"
            )
        for problem in problems:
            log.warning("forced past the removal guard: %s", problem)
    with open_store(home) as store:
        existing = store.find_sha256(instance, sha256_hex(answer.raw))
        stored = store.add(instance, answer, set_count=len(sets))
        if answer.source == "service" and answer.version:
            # Only the service can say a version is still current; a file says nothing of today.
            store.mark_checked(instance, answer.version)
        current = store.latest(instance)
    assert current is not None
    if existing is not None:
        msg = (f"{answer.label} is identical to stored row {existing.row_id} ({existing.label}); "
               "not stored again")
        return UpdateResult(updated=False, previous=previous, current=current,
                            service_version=answer.version, diff=None, message=msg)
    diff = diff_endpoints(previous, current) if previous is not None else None
    log.info("stored %s as row %d", answer.label, stored.row_id)
    return UpdateResult(updated=True, previous=previous, current=current,
                        service_version=answer.version, diff=diff,
                        message=f"stored {answer.label} ({len(sets)} endpoint sets)")


def update_from_service(home: Path, instance: str, *, service_url: str | None = None,
                        max_removal: float = DEFAULT_MAX_REMOVAL, force: bool = False,
                        settings: ClientSettings | None = None) -> UpdateResult:
    """Fetch and store the service's newest answer when it is newer than the data in use."""
    instance = check_instance(instance)
    previous = _previous(home, instance)
    with ServiceClient(home, service_url=service_url, settings=settings) as client:
        latest = client.version(instance).latest
        if previous is not None and previous.version is not None and previous.version >= latest:
            with open_store(home) as store:
                store.mark_checked(instance, previous.version)
                current = store.latest(instance) or previous
            return UpdateResult(updated=False, previous=previous, current=current,
                                service_version=latest, diff=None,
                                message=f"up to date: version {previous.version} is the service's latest")
        source: AnswerSource = ServiceSource(client, latest)
        answer = source.fetch(instance)
    return _accept(home, instance, answer, previous, max_removal=max_removal, force=force,
                   upstream=True)


def import_file(home: Path, instance: str, path: Path, version: str | None = None, *,
                max_removal: float = DEFAULT_MAX_REMOVAL, force: bool = False) -> UpdateResult:
    """Store a saved answer (air-gapped sites). A malformed file is an InputError (exit 2);
    a well-formed one that removes too much is refused like a service answer (exit 3)."""
    instance = check_instance(instance)
    previous = _previous(home, instance)
    answer = FileSource(path, version).fetch(instance)
    return _accept(home, instance, answer, previous, max_removal=max_removal, force=force,
                   upstream=False)
