"""Read the smtp-inbound rule's source addresses back out of each platform's rendered text.

One small extractor per platform, written against the platform's own syntax (not against
hybridfw's code), so a renderer that drops or garbles a range fails the comparison.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

import yaml  # type: ignore[import-untyped]

from hybridfw.addresses import AddressSet

V4 = r"\d{1,3}(?:\.\d{1,3}){3}"
V6 = r"[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}"


def cidrs(text: str) -> AddressSet:
    """Every `a.b.c.d/n` and `x::y/n` in the text."""
    found = re.findall(rf"(?<![\w:.])(?:{V4}|{V6})/\d{{1,3}}(?![\w:.])", text)
    return AddressSet.parse(found)


def _masked(address: str, mask: str) -> str:
    bits = int(ipaddress.IPv4Address(mask))
    if bits and not bits & 0x80000000:  # leading zero bit: a Cisco wildcard mask
        bits ^= 0xFFFFFFFF
    return f"{address}/{bin(bits).count('1')}"


def cisco_source(line: str) -> str:
    """The source of `permit tcp SRC DST ...` in IOS / NX-OS / XR / EOS / ASA / Brocade syntax."""
    m = re.search(rf"permit (?:ipv[46] )?tcp (host (\S+)|any6?|(\S+/\d+)|({V4}) ({V4}))", line)
    assert m, line
    if m.group(2):
        return m.group(2) + ("/128" if ":" in m.group(2) else "/32")
    if m.group(3):
        return m.group(3)
    if m.group(4):
        return _masked(m.group(4), m.group(5))
    return "::/0" if m.group(1) == "any6" else "0.0.0.0/0"


def _cisco_remark_blocks(text: str) -> AddressSet:
    """Permit lines after `remark smtp-inbound` up to the next term's remark."""
    found, inside = [], False
    for line in text.splitlines():
        # IOS-style output names the term in a remark; Brocade only in the comment remark.
        term = re.match(r"\s*(?:\d+ )?remark (?:hybridfw )?([a-z0-9-]+)(?:;.*)?$", line)
        if term:
            inside = term.group(1) == "smtp-inbound"
        elif inside and "permit" in line:
            found.append(cisco_source(line))
    return AddressSet.parse(found)


def _asa(text: str) -> AddressSet:
    return AddressSet.parse(cisco_source(line) for line in text.splitlines()
                            if line.startswith("access-list hybridfw-in extended permit")
                            and re.search(r"eq (25|smtp)$", line))


def _junos_terms(text: str, term: str = r"smtp-inbound(?:-inet6?)?") -> AddressSet:
    blocks = re.findall(rf"term {term} \{{.*?source-address \{{(.*?)\}}", text, re.S)
    assert blocks
    return cidrs(" ".join(blocks))


def _srx(text: str) -> AddressSet:
    policy = re.search(r"policy smtp-inbound \{.*?source-address \[? *(\w+) *\]?;", text, re.S)
    assert policy
    group = policy.group(1)
    return cidrs(" ".join(re.findall(rf"address {group}_\d+ (\S+);", text)))


def _aruba(text: str) -> AddressSet:
    found = []
    for block in re.findall(r"netdestination6? smtp-inbound_src\n(.*?)\n!", text, re.S):
        for kind, value, mask in re.findall(r"(host|network) (\S+)(?: (\S+))?", block):
            if kind == "host":
                found.append(value)
            elif mask:
                found.append(_masked(value, mask))
            else:
                found.append(value)
    return AddressSet.parse(found)


def _arista_tp(text: str) -> AddressSet:
    blocks = re.findall(r"match (?:ipv6-)?smtp-inbound ipv[46]\n.*?source prefix ([^\n]*)", text,
                        re.S)
    return cidrs(" ".join(blocks))


def _iptables(text: str) -> AddressSet:
    return AddressSet.parse(re.findall(r"^-A \S*smtp-inbound .*?-s (\S+)", text, re.M))


def _nftables(text: str) -> AddressSet:
    chain = re.search(r"chain smtp-inbound \{(.*?)\n    \}", text, re.S)
    assert chain
    found = AddressSet.empty()
    for ref in re.findall(r"ip6? saddr (@\w+|\S+)", chain.group(1)):
        if ref.startswith("@"):
            elements = re.search(rf"set {ref[1:]} \{{.*?elements = \{{([^}}]*)\}}", text, re.S)
            assert elements
            found |= cidrs(elements.group(1))
        else:
            found |= AddressSet.parse([ref])
    return found


def _pf(text: str) -> AddressSet:
    rule = re.search(r"pass quick proto \{ tcp \} from \{ <(\w+)> \} to \{ <\w+> \} port \{ 25 \}",
                     text)
    assert rule
    table = re.search(rf"table <{rule.group(1)}> \{{(.*?)\}}", text, re.S)
    assert table
    return cidrs(table.group(1))


def _windows(text: str) -> AddressSet:
    found = re.findall(r"name=i_smtp-inbound .*?remoteip=(\S+)", text)
    return AddressSet.parse(c for line in found for c in line.split(","))


def _nsxv(text: str) -> AddressSet:
    root = ET.fromstring(text[text.index("<section"):])
    rule = next(r for r in root.iter("rule") if r.findtext("name") == "smtp-inbound")
    sources = rule.find("sources")
    assert sources is not None
    return AddressSet.parse(s.findtext("value") or "" for s in sources.iter("source"))


def _proxmox(text: str) -> AddressSet:
    found = re.findall(r"^FORWARD ACCEPT .*?-source (\S+) .*# hybridfw smtp-inbound;", text, re.M)
    return AddressSet.parse(c for line in found for c in line.split(","))


def _json_walk(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _json_walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_walk(value)


def _nsxt(text: str) -> AddressSet:
    rules = [d for d in _json_walk(json.loads(text)) if d.get("display_name") == "smtp-inbound"]
    return AddressSet.parse(c for r in rules for c in r["source_groups"])


def _openconfig(text: str) -> AddressSet:
    found = []
    for acl in json.loads(text):
        if acl["name"] != "hybridfw-in":
            continue
        for entry in acl["acl-entries"]["acl-entry"]:
            if entry.get("transport", {}).get("config", {}).get("destination-port") == 25:
                family = entry.get("ipv4") or entry.get("ipv6")
                found.append(family["config"]["source-address"])
    return AddressSet.parse(found)


def _nokia(text: str) -> AddressSet:
    entries = [d for d in _json_walk(json.loads(text)) if d.get("description") == "smtp-inbound"]
    return AddressSet.parse(e["match"]["source-ip"]["prefix"] for e in entries)


def _nvue(text: str) -> AddressSet:
    rules = [d for d in _json_walk(json.loads(text))
             if "smtp-inbound" in str(d.get("remark", "")) and "match" in d]
    return AddressSet.parse(r["match"].get("ip", r["match"].get("ipv6", {}))["source-ip"]
                            for r in rules)


def _paloalto(text: str) -> AddressSet:
    root = ET.fromstring(text)
    rule = next(e for e in root.iter("entry") if e.get("name") == "smtp-inbound"
                and e.find("source") is not None)
    names = [m.text for m in rule.find("source").iter("member")]  # type: ignore[union-attr]
    groups = {g.get("name"): [m.text for m in g.iter("member")]
              for g in root.iter("address-group") for g in g.findall("entry")}
    addresses = {a.get("name"): a.findtext("ip-netmask")
                 for a in root.iter("address") for a in a.findall("entry")}
    members = [m for n in names for m in groups.get(n, [n])]
    return AddressSet.parse(addresses[m] or "" for m in members)


def _fortigate(text: str) -> AddressSet:
    policy = re.search(r'set name "smtp-inbound"(.*?)\n    next', text, re.S)
    assert policy
    found = []
    for section, table, key, suffix in (("addrgrp", "address", "subnet", ""),
                                        ("addrgrp6", "address6", "ip6", "6")):
        group = re.search(rf'set srcaddr{suffix} "(\w+)"', policy.group(1))
        assert group
        if group.group(1) in ("none", "all"):
            continue  # no sources of this family ("all" would be a failure below)
        members = re.search(rf"config firewall {section}\n.*?edit {group.group(1)}\n"
                            r"\s*set member ([^\n]+)", text, re.S)
        body = re.search(rf"config firewall {table}\n(.*?)\nend", text, re.S)
        assert members and body
        for name in re.findall(r'"(\w+)"', members.group(1)):
            value = re.search(rf"edit {name}\n.*?set {key} ([^\n]+)", body.group(1), re.S)
            assert value
            parts = value.group(1).split()
            found.append(_masked(*parts) if len(parts) == 2 else parts[0])
    return AddressSet.parse(found)


def _gce(text: str) -> AddressSet:
    rules = [r for r in json.loads(text) if "smtp-inbound" in r["name"]]
    return AddressSet.parse(c for r in rules for c in r["sourceRanges"])


def _gcp_hf(text: str) -> AddressSet:
    rules = [r for d in json.loads(text) for r in d["rules"]
             if r["description"].startswith("smtp-inbound")]
    return AddressSet.parse(c for r in rules for c in r["match"]["config"]["srcIpRanges"])


def _k8s(text: str) -> AddressSet:
    doc = yaml.safe_load(text)
    policy = next(i for i in doc["items"] if i["metadata"]["name"] == "smtp-inbound")
    return AddressSet.parse(p["ipBlock"]["cidr"] for rule in policy["spec"]["ingress"]
                            for p in rule["from"])


def _csv(text: str) -> AddressSet:
    rows = csv.DictReader(io.StringIO(text))
    return AddressSet.parse(r["value"] for r in rows if r["flow"] == "smtp-inbound"
                            and r["side"] == "source" and r["kind"] == "cidr")


def _exchange(text: str) -> AddressSet:
    block = re.search(r"\$ranges = @\((.*?)\)", text, re.S)
    assert block
    return AddressSet.parse(re.findall(r'"([^"]+)"', block.group(1)))


def _file(suffix: str, extract: Callable[[str], AddressSet]) -> Callable[[dict[str, str]], AddressSet]:
    """Apply `extract` to every rendered file whose name ends in `suffix` and unite the results."""
    def run(files: dict[str, str]) -> AddressSet:
        texts = [t for n, t in files.items() if n.endswith(suffix)]
        assert texts, f"no file ending in {suffix}: {sorted(files)}"
        return AddressSet.union_all(extract(t) for t in texts)
    return run


EXTRACTORS: dict[str, Callable[[dict[str, str]], AddressSet]] = {
    "juniper": _file(".jcl", _junos_terms),
    "juniperevo": _file(".evojcl", _junos_terms),
    "juniper-msmpc": _file(".msmpc", _junos_terms),
    "srx": _file(".srx", _srx),
    "cisco": _file(".acl", _cisco_remark_blocks),
    "ciscoasa": _file("hybridfw.asa", _asa),
    "cisconx": _file(".nxacl", _cisco_remark_blocks),
    "ciscoxr": _file(".xacl", _cisco_remark_blocks),
    "arista": _file(".eacl", _cisco_remark_blocks),
    "arista-tp": _file(".atp", _arista_tp),
    "aruba": _file(".aacl", _aruba),
    "brocade": _file(".bacl", _cisco_remark_blocks),
    "iptables": _file(".ipt", _iptables),
    "nftables": _file(".nft", _nftables),
    "pf": _file(".pf", _pf),
    "windows-advfirewall": _file(".bat", _windows),
    "nsxv": _file("-in.nsx", _nsxv),
    "nsxt": _file("-in.nsxt", _nsxt),
    "openconfig": _file(".oacl", _openconfig),
    "sonic": _file(".oacl", _openconfig),
    "nokia-srl": _file(".srl_acl", _nokia),
    "nvidia-nvue": _file(".json", _nvue),
    "paloalto": _file(".xml", _paloalto),
    "fortigate": _file("hybridfw.fgacl", _fortigate),
    "gce": _file(".gce", _gce),
    "gcp-hf": _file("-in.gcphf", _gcp_hf),
    "k8s": _file(".yml", _k8s),
    "proxmox": _file("-in.prxmxfw", _proxmox),
    "edl": _file("hybridfw-smtp-inbound.txt", cidrs),
    "csv": _file(".csv", _csv),
    "exchange": _file(".ps1", _exchange),
}
