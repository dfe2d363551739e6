"""Which paths through a ruleset a flow's packets can take, and what put each on the list.

Netfilter rulesets have three entries: ``input`` (traffic to the filtering machine itself),
``forward`` (traffic routed through it) and ``output`` (traffic it sends). Which one a flow's
packets traverse depends on where the firewall sits, the topology's ``[firewall] placement``:

* ``host``: the audited server is the filtering machine: inbound flows take ``input``,
  outbound ones ``output``;
* ``gateway``: the servers sit behind it: both directions take ``forward``;
* not given: both are plausible, both are evaluated and reported, and the worst decides (a
  drop on either path is never reported as allowed). Each row names the assumption.

ACL platforms bind an ACL to an interface and a way (in/out). A packet arriving on interface A
and leaving by interface B passes A's ``in`` binding and then B's ``out`` binding: those pairs
are the paths. When the outside/inside interface names are given, only the path they name is
evaluated; otherwise every pair is, and those whose rules are meant for the flow (some accept
rule on the path matches its packets, even one an earlier rule shadows) decide. Entries that
are not paths of their own kind (pfSense interfaces, PAN-OS zone pairs) are one path each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hybridfw.errors import InputError
from hybridfw.rulesets.model import Entry, Ruleset

Placement = Literal["host", "gateway"]
PLACEMENTS: tuple[Placement, ...] = ("host", "gateway")
NETFILTER_ENTRIES = frozenset({"input", "forward", "output"})
_HOST_ENTRY = {"inbound": "input", "outbound": "output"}
_NOT_FOR = {"inbound": "output", "outbound": "input"}


def as_placement(text: str | None, field: str = "placement") -> Placement | None:
    """`text` as a placement; None when empty. Raises InputError (naming `field`) for anything
    else."""
    if not text:
        return None
    for placement in PLACEMENTS:
        if text == placement:
            return placement
    raise InputError(f"placement must be one of {', '.join(PLACEMENTS)}, not {text!r}", field=field)


@dataclass(frozen=True)
class Path:
    """One way through the ruleset: its entry (stages in order) and why it was evaluated."""

    entry: Entry
    assumption: str = ""  # "" when the user's topology / options named this path
    needs_intent: bool = False  # an ACL path kept only if rules on it are meant for the flow


def _netfilter_paths(entries: list[Entry], direction: str,
                     placement: Placement | None) -> list[Path]:
    host = _HOST_ENTRY.get(direction, "")
    by_name = {e.name: e for e in entries if e.stages}
    if placement is not None:
        wanted = host if placement == "host" else "forward"
        named = next((e for e in entries if e.name == wanted), None)
        if named is not None:  # without a base chain on that hook nothing filters the traffic
            return [Path(named)]
        # e.g. an allow-list has no forward entry: whatever the file has decides.
        return [Path(e, f"the ruleset has no {wanted} entry for placement {placement}")
                for e in by_name.values()]
    paths = []
    for name, kind in ((host, "host"), ("forward", "gateway")):
        if name in by_name:
            paths.append(Path(by_name[name],
                              f"placement not given: evaluated as a {kind} ({name})"))
    return paths


def _bound_paths(entries: list[Entry], arrives: str | None, leaves: str | None) -> list[Path]:
    """ACL bindings chained along the path: the arrival interface's `in` binding (or the
    global / implicit one), then the leaving interface's `out` binding."""
    ins = [e for e in entries if e.way == "in"]
    outs = [e for e in entries if e.way == "out"]
    if arrives is not None:
        own = [e for e in ins if e.interface == arrives]
        ins = own or [e for e in ins if e.interface == "*"]
    if leaves is not None:
        outs = [e for e in outs if e.interface == leaves]
    told = arrives is not None and leaves is not None
    paths: list[Path] = []
    firsts: list[Entry | None] = [*ins] or [None]
    for first in firsts:
        for last in outs:
            if first is None:
                paths.append(Path(last, "" if told else f"if the traffic leaves by {last.interface}",
                                  not told))
            elif last.interface != first.interface:
                joined = Entry(f"{first.name} -> {last.name}", first.stages + last.stages,
                               first.interface, "in")
                why = "" if told else (f"if the traffic arrives on {first.interface} and leaves "
                                       f"by {last.interface}")
                paths.append(Path(joined, why, not told))
        if first is not None and (leaves is None or not outs):
            why = "" if told else f"if the traffic arrives on {first.interface}"
            if leaves is None and outs:
                why += " and leaves by an interface without an out access-list"
            paths.append(Path(first, why.strip(), arrives is None))
    return paths


def flow_paths(ruleset: Ruleset, direction: str, placement: Placement | None,
               arrives: str | None, leaves: str | None, forced: str | None = None) -> list[Path]:
    """The paths a flow of `direction` may take; `forced` names one entry (``--entry``)."""
    if forced is not None:
        return [Path(e) for e in ruleset.entries if e.name == forced]
    skip = _NOT_FOR.get(direction)
    entries = [e for e in ruleset.entries if e.name != skip]
    netfilter = [e for e in entries if e.name in NETFILTER_ENTRIES]
    bound = [e for e in entries if e.way and e.stages]
    plain = [e for e in entries if e.stages and not e.way and e.name not in NETFILTER_ENTRIES]
    paths = _netfilter_paths(netfilter, direction, placement) if netfilter else []
    paths += _bound_paths(bound, arrives, leaves) if bound else []
    named = [e for e in plain if arrives is not None and e.name == arrives]
    # pfSense filters where traffic arrives: a named arrival interface is the path.
    paths += [Path(e) for e in named] or [Path(e, "", True) for e in plain]
    return paths
