"""Feeds per flow, built once per data version into immutable bytes.

A feed lists the Microsoft side of one flow (sources of an inbound flow, destinations of an
outbound one): `.txt` one CIDR per line, `.json` with the flow's ports and names as well. The
content depends only on the flows and the data version, never on the time it was built, so the
ETag stays the same across restarts and `feeds export` writes identical files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from hybridfw.model import EndpointData, Flow

FAMILIES: tuple[str, ...] = ("", "4", "6")  # "" = both families
FORMATS = {"txt": "text/plain; charset=utf-8", "json": "application/json"}
CACHE_CONTROL = b"public, max-age=300"


@dataclass(frozen=True)
class FeedBody:
    """One feed document and the response headers that go with it, precomputed."""

    body: bytes
    etag: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # for a 200
    not_modified_headers: tuple[tuple[bytes, bytes], ...]  # for a 304


@dataclass(frozen=True)
class FeedBundle:
    """Every feed of one data version, keyed by (flow id, format, family)."""

    version: str
    last_modified: str
    flow_ids: tuple[str, ...]
    bodies: dict[tuple[str, str, str], FeedBody]

    def get(self, flow_id: str, fmt: str, family: str = "") -> FeedBody | None:
        return self.bodies.get((flow_id, fmt, family))


def remote_side(flow: Flow) -> tuple[Any, tuple[str, ...]]:
    """Addresses and names on Microsoft's side of the flow."""
    if flow.direction == "inbound":
        return flow.sources, flow.source_fqdns
    return flow.destinations, flow.destination_fqdns


def feed_text(flow: Flow, family: str) -> str:
    addresses, _ = remote_side(flow)
    cidrs = addresses.to_cidrs(int(family)) if family else addresses.to_cidrs()
    return "".join(f"{c}\n" for c in cidrs)


def feed_document(flow: Flow, data: EndpointData, family: str) -> dict[str, Any]:
    addresses, names = remote_side(flow)
    families = (int(family),) if family else (4, 6)
    return {
        "flow": flow.id,
        "direction": flow.direction,
        "protocol": flow.protocol,
        "ports": list(flow.ports),
        "instance": data.instance,
        "data_version": data.version_label(),
        "endpoint_set_ids": list(flow.endpoint_set_ids),
        "ipv4": addresses.to_cidrs(4) if 4 in families else [],
        "ipv6": addresses.to_cidrs(6) if 6 in families else [],
        "fqdns": list(names),
        "reason": flow.reason,
    }


def _feed_body(body: bytes, media_type: str, last_modified: str) -> FeedBody:
    etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
    common = ((b"etag", etag), (b"last-modified", last_modified.encode()),
              (b"cache-control", CACHE_CONTROL))
    headers = ((b"content-type", media_type.encode()),
               (b"content-length", str(len(body)).encode()), *common)
    return FeedBody(body, etag, headers, common)


def feed_documents(flows: Sequence[Flow], data: EndpointData) -> dict[tuple[str, str, str], bytes]:
    """Every feed's bytes: flows x {txt, json} x {both, IPv4, IPv6}."""
    out: dict[tuple[str, str, str], bytes] = {}
    for flow in flows:
        for family in FAMILIES:
            out[(flow.id, "txt", family)] = feed_text(flow, family).encode()
            doc = feed_document(flow, data, family)
            out[(flow.id, "json", family)] = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    return out


def build_feeds(flows: Sequence[Flow], data: EndpointData) -> FeedBundle:
    last_modified = format_datetime(data.data_date.astimezone(UTC), usegmt=True)
    bodies = {key: _feed_body(body, FORMATS[key[1]], last_modified)
              for key, body in feed_documents(flows, data).items()}
    return FeedBundle(data.version_label(), last_modified, tuple(f.id for f in flows), bodies)


def export_name(flow_id: str, fmt: str, family: str) -> str:
    """File name of one feed in `feeds export`: smtp-inbound.txt, smtp-inbound.v4.txt, ..."""
    return f"{flow_id}.{fmt}" if not family else f"{flow_id}.v{family}.{fmt}"
