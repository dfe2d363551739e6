"""Read firewall deny logs and class every dropped Microsoft source against the required flows.

`hybridfw.drops.run.analyse_drops(paths, flows, data)` reads each log in its own format
(auto-detected, streamed, `.gz` and standard input too), ties each drop to a required flow
(protocol, port, and the on-premises end), classes its Microsoft end (see `classify`) and
aggregates by flow × class × source block.

The log formats are the plug-in tuple `PARSERS` (one module each); naming them imports nothing,
so `drops --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hybridfw.plugins import PlugIn, find, names

if TYPE_CHECKING:
    from hybridfw.drops.interface import LogParser

# Detection tries these in order: the more specific shapes first.
PARSERS: tuple[PlugIn[type[LogParser]], ...] = (
    PlugIn("journal-json", "hybridfw.drops.journal_json", "JournalJson"),
    PlugIn("pfirewall", "hybridfw.drops.pfirewall", "WindowsFirewall"),
    PlugIn("panos-csv", "hybridfw.drops.panos", "PanosTraffic"),
    PlugIn("filterlog", "hybridfw.drops.filterlog", "Filterlog"),
    PlugIn("asa", "hybridfw.drops.asa", "CiscoAsa"),
    PlugIn("fortigate", "hybridfw.drops.fortigate", "FortiGate"),
    PlugIn("netfilter", "hybridfw.drops.netfilter", "NetfilterLog"),
)


def format_names() -> tuple[str, ...]:
    return names(PARSERS)


def by_name(name: str) -> LogParser:
    """The parser of format `name`; DropsError when there is none."""
    plugin = find(PARSERS, name)
    if plugin is None:
        from hybridfw.drops.interface import DropsError

        raise DropsError(f"unknown format {name!r}; use auto or one of {', '.join(format_names())}",
                         field="format")
    return plugin.load()()


def detect(head: Sequence[str], name: str) -> LogParser:
    """The first parser (in `PARSERS` order) whose shape matches the file's first lines."""
    for plugin in PARSERS:
        parser = plugin.load()()
        if parser.matches(head):
            return parser
    from hybridfw.drops.interface import DropsError

    raise DropsError(f"not a deny log in any known format ({', '.join(format_names())})", path=name)


__all__ = ["PARSERS", "by_name", "detect", "format_names"]
