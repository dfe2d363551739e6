"""Firewall rules for the required flows, one renderer per platform, listed in `RENDERERS`."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import cache

from hybridfw.errors import InputError
from hybridfw.model import EndpointData, Flow
from hybridfw.plugins import PlugIn
from hybridfw.render.interface import Renderer, RenderResult

__all__ = ["RENDERERS", "RenderResult", "Renderer", "get_renderer", "platforms", "render_flows",
           "renderers"]

log = logging.getLogger(__name__)

# The renderers hybridfw writes itself. Every aerleon platform is one more: a row of
# `render.aerleon_targets.TARGETS`, each rendered by `render.aerleon_backend.AerleonRenderer`.
RENDERERS: tuple[PlugIn[type[Renderer]], ...] = (
    PlugIn("edl", "hybridfw.render.edl", "EdlRenderer"),
    PlugIn("csv", "hybridfw.render.csv_list", "CsvRenderer"),
    PlugIn("exchange", "hybridfw.render.exchange", "ExchangeRenderer"),
)


@cache
def renderers() -> dict[str, Renderer]:
    """Every platform's renderer by name, sorted (the aerleon module loads on this first call)."""
    from hybridfw.render.aerleon_backend import AerleonRenderer
    from hybridfw.render.aerleon_targets import TARGETS

    found: dict[str, Renderer] = {t.name: AerleonRenderer(t) for t in TARGETS}
    for plugin in RENDERERS:
        if plugin.name in found:
            raise ValueError(f"platform {plugin.name!r} listed twice")
        found[plugin.name] = plugin.load()()
    return dict(sorted(found.items()))


def get_renderer(platform: str) -> Renderer:
    renderer = renderers().get(platform.lower())
    if renderer is None:
        raise InputError(f"unknown platform {platform!r}; `hybridfw rules --list-platforms` "
                         "lists them", field="platform")
    return renderer


def platforms() -> dict[str, str]:
    """Platform name -> one-line description, sorted by name.

    The audit helper renders "rules to add" with e.g. `iptables`, `nftables`, `ciscoasa`,
    `paloalto` and `pf` (pf / pfSense tables); every name here accepts partial flows.
    """
    return {name: r.description for name, r in renderers().items()}


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
