"""Firewall rules for the required flows, one renderer per platform, found through a registry."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from hybridfw.model import EndpointData, Flow
from hybridfw.render.aerleon_backend import AerleonRenderer
from hybridfw.render.aerleon_targets import TARGETS
from hybridfw.render.csv_list import CsvRenderer
from hybridfw.render.edl import EdlRenderer
from hybridfw.render.exchange import ExchangeRenderer
from hybridfw.render.interface import Renderer, RenderResult, get_renderer, register, registered

__all__ = ["RenderResult", "Renderer", "platforms", "render_flows"]

log = logging.getLogger(__name__)

for _target in TARGETS:
    register(AerleonRenderer(_target))
for _own in (EdlRenderer(), CsvRenderer(), ExchangeRenderer()):
    register(_own)


def platforms() -> dict[str, str]:
    """Platform name -> one-line description, sorted by name.

    The audit helper renders "rules to add" with e.g. `iptables`, `nftables`, `ciscoasa`,
    `paloalto` and `pf` (pf / pfSense tables); every name here accepts partial flows.
    """
    return {name: r.description for name, r in registered().items()}


def render_flows(flows: Sequence[Flow], platform: str, *, data: EndpointData) -> RenderResult:
    """Rules for `platform` admitting `flows` (any subset or partial flows). Raises InputError
    for an unknown platform; problems with the output are ERROR findings in the result."""
    renderer = get_renderer(platform)
    start = time.perf_counter()
    result = renderer.render(list(flows), data)
    log.info("rendered %d flow(s) for %s in %.0f ms: %d file(s), %d finding(s)", len(flows),
             renderer.name, (time.perf_counter() - start) * 1000, len(result.files),
             len(result.findings))
    return result
