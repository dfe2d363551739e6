"""FQDN objects for flows Microsoft gives only as names, on platforms that have them.

aerleon cannot express name-based destinations, so these are written by hybridfw next to
aerleon's file. Names a platform cannot hold (wildcards on PAN-OS and ASA) stay in the
proxy allow-list; the caller reports which went where.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hybridfw.addresses import Family
from hybridfw.model import EndpointData, Flow
from hybridfw.render.common import flow_comment


@dataclass(frozen=True)
class FqdnObjects:
    files: dict[str, str]
    covered: frozenset[str]  # names now carried by FQDN objects


FAMILY_TABLES: tuple[tuple[Family, str], ...] = ((4, "address"), (6, "address6"))
FAMILY_SUFFIXES: tuple[tuple[Family, str], ...] = ((4, ""), (6, "6"))

FqdnEmitter = Callable[[Sequence[Flow], EndpointData], FqdnObjects]


def _exact(names: Sequence[str]) -> list[str]:
    return [n for n in names if "*" not in n]


def _service(flow: Flow) -> str:
    return f"hfw-{flow.protocol}-" + "-".join(str(p) for p in flow.ports)


def paloalto_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """PAN-OS set commands; PAN-OS FQDN objects take no wildcards."""
    lines = ["# hybridfw: PAN-OS set commands for destinations given only as names",
             "# wildcard names cannot be FQDN objects: see hybridfw-fqdn-allowlist.txt"]
    covered: set[str] = set()
    for flow in flows:
        names = _exact(flow.destination_fqdns)
        if not names:
            continue
        covered |= set(names)
        ports = ",".join(str(p) for p in flow.ports)
        lines.append(f"set service {_service(flow)} protocol {flow.protocol} port {ports}")
        sources = [f"hfw-{flow.id}-src-{i}" for i, _ in enumerate(flow.sources.to_cidrs())]
        lines += [f"set address {n} ip-netmask {c}"
                  for n, c in zip(sources, flow.sources.to_cidrs(), strict=True)]
        lines += [f"set address hfw-{n} fqdn {n}" for n in names]
        lines.append(f"set address-group hfw-{flow.id}-src static [ {' '.join(sources)} ]")
        lines.append(f"set address-group hfw-{flow.id}-fqdn static "
                     f"[ {' '.join('hfw-' + n for n in names)} ]")
        lines.append(
            f"set rulebase security rules {flow.id} from trust to untrust source hfw-{flow.id}-src "
            f"destination hfw-{flow.id}-fqdn service {_service(flow)} application any action "
            f'allow description "{flow_comment(flow, data, 255)}"')
    return FqdnObjects({"hybridfw-fqdn.set": "\n".join(lines) + "\n"} if covered else {},
                       frozenset(covered))


def _forti_edit(name: str, settings: list[str]) -> list[str]:
    return [f'    edit "{name}"'] + [f"        {s}" for s in settings] + ["    next"]


def _forti_sources(flow: Flow) -> list[str]:
    lines = []
    for family, table in FAMILY_TABLES:
        cidrs = flow.sources.to_cidrs(family)
        if not cidrs:
            continue
        lines.append(f"config firewall {table}")
        for i, cidr in enumerate(cidrs):
            network = ipaddress.ip_network(cidr)
            value = (f"set subnet {network.network_address} {network.netmask}" if family == 4
                     else f"set ip6 {cidr}")
            lines += _forti_edit(f"hfw{family}-{flow.id}-src-{i}", [value])
        lines.append("end")
        members = " ".join(f'"hfw{family}-{flow.id}-src-{i}"' for i in range(len(cidrs)))
        lines += [f"config firewall {'addrgrp' if family == 4 else 'addrgrp6'}"]
        lines += [*_forti_edit(f"hfw{family}-{flow.id}-src", [f"set member {members}"]), "end"]
    return lines


def _forti_object(family: int, name: str) -> str:
    # Object names are safer without "*": `*.entrust.net` becomes `hfw4-wild.entrust.net`.
    return f"hfw{family}-" + name.replace("*", "wild")


def _forti_names(flow: Flow) -> list[str]:
    lines = []
    for family, table in FAMILY_TABLES:
        if not flow.sources.family(family):
            continue
        lines.append(f"config firewall {table}")
        for name in flow.destination_fqdns:
            lines += _forti_edit(_forti_object(family, name),
                                 ["set type fqdn", f'set fqdn "{name}"'])
        lines.append("end")
        members = " ".join(f'"{_forti_object(family, n)}"' for n in flow.destination_fqdns)
        lines += [f"config firewall {'addrgrp' if family == 4 else 'addrgrp6'}"]
        lines += [*_forti_edit(f"hfw{family}-{flow.id}-fqdn", [f"set member {members}"]), "end"]
    return lines


def fortigate_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """FortiOS CLI; FQDN addresses take wildcards like *.entrust.net (FortiOS 6.2 and later)."""
    lines = ["# hybridfw: FortiGate objects and policies for destinations given only as names"]
    covered: set[str] = set()
    for flow in flows:
        if not flow.destination_fqdns:
            continue
        covered |= set(flow.destination_fqdns)
        ports = " ".join(str(p) for p in flow.ports)
        lines += ["config firewall service custom"]
        lines += [*_forti_edit(_service(flow), [f"set {flow.protocol}-portrange {ports}"]), "end"]
        lines += _forti_sources(flow) + _forti_names(flow)
        settings = ['set srcintf "trust"', 'set dstintf "untrust"', "set action accept"]
        for family, suffix in FAMILY_SUFFIXES:
            if flow.sources.family(family):
                settings += [f'set srcaddr{suffix} "hfw{family}-{flow.id}-src"',
                             f'set dstaddr{suffix} "hfw{family}-{flow.id}-fqdn"']
        settings += ['set schedule "always"', f'set service "{_service(flow)}"',
                     f'set comments "{flow_comment(flow, data, 255)}"', f'set name "{flow.id}"']
        # `edit 0` makes FortiOS pick the next free policy id.
        lines += ["config firewall policy", "    edit 0", *(f"        {s}" for s in settings),
                  "    next", "end"]
    return FqdnObjects({"hybridfw-fqdn.fgacl": "\n".join(lines) + "\n"} if covered else {},
                       frozenset(covered))


def _asa_source(cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    if network.num_addresses == 1:
        return f"host {network.network_address}"
    return str(network) if network.version == 6 else f"{network.network_address} {network.netmask}"


def asa_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """ASA network objects with `fqdn`; no wildcards on ASA."""
    lines = ["! hybridfw: ASA FQDN objects for destinations given only as names",
             "! wildcard names cannot be FQDN objects: see hybridfw-fqdn-allowlist.txt"]
    covered: set[str] = set()
    for flow in flows:
        names = _exact(flow.destination_fqdns)
        if not names:
            continue
        covered |= set(names)
        for name in names:
            lines += [f"object network hfw-{name}", f" fqdn {name}"]
        lines.append(f"object-group network hfw-{flow.id}-fqdn")
        lines += [f" network-object object hfw-{name}" for name in names]
        acl = "hybridfw-in" if flow.direction == "inbound" else "hybridfw-out"
        lines.append(f"access-list {acl} remark {flow_comment(flow, data, 100)}")
        for cidr in flow.sources.to_cidrs():
            for port in flow.ports:
                lines.append(f"access-list {acl} extended permit {flow.protocol} "
                             f"{_asa_source(cidr)} object-group hfw-{flow.id}-fqdn eq {port}")
    return FqdnObjects({"hybridfw-fqdn.asa": "\n".join(lines) + "\n"} if covered else {},
                       frozenset(covered))
