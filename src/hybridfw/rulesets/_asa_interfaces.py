"""Cisco ASA interfaces without an inbound access-list: the security-level rule.

Traffic entering an interface that has no inbound access-list (and no global one exists) may go
to any interface of a lower security level. Which hosts send through an interface follows from
its addresses and the routes pointing out of it, so the implicit permit admits sources in the
interface's connected networks and routed prefixes (``route inside 10.0.0.0 255.0.0.0 ...``):
a mail server behind ``inside`` may send out, while Internet sources do not enter through
``inside``. An interface of the lowest level admits nothing. An interface whose networks the
file does not give is left out and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from hybridfw.addresses import AddressSet
from hybridfw.model import Finding
from hybridfw.rulesets._asa_objects import AsaObjects, Definition
from hybridfw.rulesets._vendor_util import info, parse_address
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, chain_key


@dataclass
class AsaInterface:
    nameif: str
    level: int
    line: int
    networks: AddressSet


def _connected(found: Definition, objects: AsaObjects) -> AddressSet:
    nets = AddressSet.empty()
    for words, line in found.members:
        if words[:2] == ["ip", "address"] and words[2] in ("dhcp", "pppoe"):
            continue  # learnt at run time (`ip address dhcp setroute`): not in the file
        if words[:2] == ["ip", "address"] and len(words) >= 4:
            nets = nets | objects.masked(words[2], words[3], line)
        elif words[:2] == ["ipv6", "address"] and len(words) >= 3 and "/" in words[2]:
            nets = nets | (parse_address(words[2]) or AddressSet.empty())
    return nets


def read_interfaces(defs: list[Definition], routes: list[tuple[list[str], int]],
                    objects: AsaObjects) -> dict[str, AsaInterface]:
    """Named interfaces with their security level and the networks reached through them."""
    found: dict[str, AsaInterface] = {}
    for d in defs:
        settings = {words[0]: words[1] for words, _ in d.members if len(words) == 2}
        level = settings.get("security-level", "0")
        if "nameif" in settings and level.isdigit():
            found[settings["nameif"]] = AsaInterface(settings["nameif"], int(level), d.line,
                                                     _connected(d, objects))
    for words, line in routes:
        iface = found.get(words[0])
        if iface is None or len(words) < 2:
            continue
        prefix = words[1] if "/" in words[1] else None
        if prefix is None and len(words) < 3:
            continue
        nets = parse_address(prefix) if prefix else objects.masked(words[1], words[2], line)
        iface.networks = iface.networks | (nets or AddressSet.empty())
    return found


def implicit_entries(path: str, interfaces: dict[str, AsaInterface], bound: set[str],
                     findings: list[Finding]) -> tuple[dict[str, Chain], list[Entry]]:
    lowest = min((i.level for i in interfaces.values()), default=0)
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    for iface in sorted(interfaces.values(), key=lambda i: i.nameif):
        if iface.nameif in bound:
            continue
        if iface.level > lowest and not iface.networks:
            findings.append(info("audit.interface-not-evaluated", f"interface {iface.nameif} has no "
                                 "access-list and no addresses or routes in the file: not evaluated",
                                 path, iface.line))
            continue
        # The permit is the chain's policy (not a rule) so that the audit prefers the entries
        # whose access-lists decide a flow; sources from elsewhere are dropped by a rule first.
        rules: tuple[Rule, ...] = ()
        policy, text = Action.DROP, f"implicit deny on {iface.nameif}: no lower security level"
        if iface.level > lowest:
            outside_nets = AddressSet.any() - iface.networks
            rules = (Rule(Match(sources=outside_nets), Action.DROP,
                          Origin(path, iface.line, f"sources not behind {iface.nameif} do not enter it")),)
            policy, text = Action.ACCEPT, (f"implicit permit from {iface.nameif} (security-level "
                                           f"{iface.level}) to lower levels")
        name = f"{iface.nameif} in (no access-list, security-level {iface.level})"
        key = chain_key(path, "interface", iface.nameif)
        chains[key] = Chain(key=key, name=name, rules=rules, policy=policy,
                            policy_origin=Origin(path, iface.line, text))
        entries.append(Entry(name, (key,), iface.nameif, "in"))
    return chains, entries
