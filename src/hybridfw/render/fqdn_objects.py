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


def _collect(flows: Sequence[Flow], data: EndpointData, header: list[str], filename: str,
             body: Callable[[Flow, list[str], EndpointData], list[str]], *,
             wildcards: bool) -> FqdnObjects:
    """Run `body` for each flow with names the platform can hold; record which names it took."""
    lines, covered = list(header), set()
    for flow in flows:
        names = list(flow.destination_fqdns) if wildcards else _exact(flow.destination_fqdns)
        if names:
            covered |= set(names)
            lines += body(flow, names, data)
    return FqdnObjects({filename: "\n".join(lines) + "\n"} if covered else {}, frozenset(covered))


def _paloalto_flow(flow: Flow, names: list[str], data: EndpointData) -> list[str]:
    ports = ",".join(str(p) for p in flow.ports)
    cidrs = flow.sources.to_cidrs()
    sources = [f"hfw-{flow.id}-src-{i}" for i in range(len(cidrs))]
    return [
        f"set service {_service(flow)} protocol {flow.protocol} port {ports}",
        *(f"set address {n} ip-netmask {c}" for n, c in zip(sources, cidrs, strict=True)),
        *(f"set address hfw-{n} fqdn {n}" for n in names),
        f"set address-group hfw-{flow.id}-src static [ {' '.join(sources)} ]",
        f"set address-group hfw-{flow.id}-fqdn static [ {' '.join('hfw-' + n for n in names)} ]",
        f"set rulebase security rules {flow.id} from trust to untrust source hfw-{flow.id}-src "
        f"destination hfw-{flow.id}-fqdn service {_service(flow)} application any action "
        f'allow description "{flow_comment(flow, data, 255)}"',
    ]


def paloalto_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """PAN-OS set commands; PAN-OS FQDN objects take no wildcards."""
    header = ["# hybridfw: PAN-OS set commands for destinations given only as names",
              "# wildcard names cannot be FQDN objects: see hybridfw-fqdn-allowlist.txt"]
    return _collect(flows, data, header, "hybridfw-fqdn.set", _paloalto_flow, wildcards=False)


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


def _fortigate_flow(flow: Flow, names: list[str], data: EndpointData) -> list[str]:
    ports = " ".join(str(p) for p in flow.ports)
    lines = ["config firewall service custom",
             *_forti_edit(_service(flow), [f"set {flow.protocol}-portrange {ports}"]), "end"]
    lines += _forti_sources(flow) + _forti_names(flow)
    settings = ['set srcintf "trust"', 'set dstintf "untrust"', "set action accept"]
    for family, suffix in FAMILY_SUFFIXES:
        if flow.sources.family(family):
            settings += [f'set srcaddr{suffix} "hfw{family}-{flow.id}-src"',
                         f'set dstaddr{suffix} "hfw{family}-{flow.id}-fqdn"']
    settings += ['set schedule "always"', f'set service "{_service(flow)}"',
                 f'set comments "{flow_comment(flow, data, 255)}"', f'set name "{flow.id}"']
    # `edit 0` makes FortiOS pick the next free policy id.
    return [*lines, "config firewall policy", "    edit 0",
            *(f"        {s}" for s in settings), "    next", "end"]


def fortigate_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """FortiOS CLI; FQDN addresses take wildcards like *.entrust.net (FortiOS 6.2 and later)."""
    header = ["# hybridfw: FortiGate objects and policies for destinations given only as names"]
    return _collect(flows, data, header, "hybridfw-fqdn.fgacl", _fortigate_flow, wildcards=True)


def _asa_source(cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    if network.num_addresses == 1:
        return f"host {network.network_address}"
    return str(network) if network.version == 6 else f"{network.network_address} {network.netmask}"


def _asa_flow(flow: Flow, names: list[str], data: EndpointData) -> list[str]:
    acl = "hybridfw-in" if flow.direction == "inbound" else "hybridfw-out"
    lines = [line for name in names for line in (f"object network hfw-{name}", f" fqdn {name}")]
    lines.append(f"object-group network hfw-{flow.id}-fqdn")
    lines += [f" network-object object hfw-{name}" for name in names]
    lines.append(f"access-list {acl} remark {flow_comment(flow, data, 100)}")
    lines += [f"access-list {acl} extended permit {flow.protocol} {_asa_source(cidr)} "
              f"object-group hfw-{flow.id}-fqdn eq {port}"
              for cidr in flow.sources.to_cidrs() for port in flow.ports]
    return lines


def asa_fqdn(flows: Sequence[Flow], data: EndpointData) -> FqdnObjects:
    """ASA network objects with `fqdn`; no wildcards on ASA."""
    header = ["! hybridfw: ASA FQDN objects for destinations given only as names",
              "! wildcard names cannot be FQDN objects: see hybridfw-fqdn-allowlist.txt"]
    return _collect(flows, data, header, "hybridfw-fqdn.asa", _asa_flow, wildcards=False)
