"""Founding-scenario rulesets in the edge formats of issue 17 (FortiGate, SRX, Windows Firewall):
the 2015 EOP list allowed on TCP 25 to the two mail server addresses, next to unrelated rules,
as an admin would have it. Each writer returns the file it wrote."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from pathlib import Path

from _support.vendor import MAIL_V4, MAIL_V6
from hybridfw.addresses import AddressSet


def _fgt_address(name: str, cidr: str) -> list[str]:
    net = ipaddress.ip_network(cidr)
    value = f"set ip6 {cidr}" if net.version == 6 else f"set subnet {net.network_address} {net.netmask}"
    return [f'    edit "{name}"', f"        {value}", "    next"]


def fortigate(tmp: Path, allowed: AddressSet) -> Path:
    v4 = allowed.to_cidrs(4)
    v6 = allowed.to_cidrs(6)
    lines = ["#config-version=FG200F-7.4.3-FW-build2573-240201:opmode=0:vdom=0:user=admin",
             "config system global", '    set hostname "fgt-edge"', "end",
             "config firewall address", '    edit "all"', "    next"]
    for i, cidr in enumerate(v4):
        lines += _fgt_address(f"EOP-2015-{i}", cidr)
    lines += _fgt_address("mailhost", f"{MAIL_V4}/32")
    lines += _fgt_address("owa", "203.0.113.20/32")
    lines += ["end", "config firewall address6", '    edit "all"', "    next"]
    for i, cidr in enumerate(v6):
        lines += _fgt_address(f"EOP6-2015-{i}", cidr)
    lines += _fgt_address("mailhost6", f"{MAIL_V6}/128")
    members4 = " ".join(f'"EOP-2015-{i}"' for i in range(len(v4)))
    members6 = " ".join(f'"EOP6-2015-{i}"' for i in range(len(v6)))
    lines += ["end", "config firewall addrgrp", '    edit "EOP-2015"', f"        set member {members4}",
              "    next", "end", "config firewall addrgrp6", '    edit "EOP6-2015"',
              f"        set member {members6}", "    next", "end",
              "config firewall service custom", '    edit "SMTP"', "        set tcp-portrange 25",
              "    next", '    edit "HTTPS"', "        set tcp-portrange 443", "    next", "end",
              "config firewall policy",
              "    edit 12", '        set name "EOP to mail"', '        set srcintf "port1"',
              '        set dstintf "port2"', "        set action accept", '        set srcaddr "EOP-2015"',
              '        set dstaddr "mailhost"', '        set srcaddr6 "EOP6-2015"',
              '        set dstaddr6 "mailhost6"', '        set schedule "always"',
              '        set service "SMTP"', "        set logtraffic all", "    next",
              "    edit 13", '        set name "OWA"', '        set srcintf "port1"',
              '        set dstintf "port2"', "        set action accept", '        set srcaddr "all"',
              '        set dstaddr "owa"', '        set schedule "always"', '        set service "HTTPS"',
              "    next", "end"]
    path = tmp / "fortigate-backup.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def netsh_rule(name: str, action: str, remote: str, local_port: str, direction: str = "In",
               profiles: str = "Domain,Private,Public", enabled: str = "Yes", local: str = "Any") -> str:
    fields = [("Rule Name", name), None, ("Enabled", enabled), ("Direction", direction),
              ("Profiles", profiles), ("Grouping", ""), ("LocalIP", local), ("RemoteIP", remote),
              ("Protocol", "TCP"), ("LocalPort", local_port), ("RemotePort", "Any"),
              ("Edge traversal", "No"), ("InterfaceTypes", "Any"), ("Security", "NotRequired"),
              ("Rule source", "Local Setting"), ("Action", action)]
    return "\n".join("-" * 70 if f is None else f"{f[0] + ':':<38}{f[1]}" for f in fields) + "\n"


def netsh_profiles(policy: str = "BlockInbound,AllowOutbound") -> str:
    return "".join(f"\n{name} Profile Settings:\n{'-' * 70}\n{'State':<38}ON\n"
                   f"{'Firewall Policy':<38}{policy}\n{'LocalFirewallRules':<38}N/A (GPO-store only)\n"
                   for name in ("Domain", "Private", "Public")) + "Ok.\n\n"


def windows_netsh(tmp: Path, allowed: AddressSet) -> Path:
    text = (netsh_profiles() + "\n"
            + netsh_rule("Exchange Online Protection (SMTP-In)", "Allow", ",".join(allowed.to_cidrs()), "25")
            + "\n" + netsh_rule("OWA (HTTPS-In)", "Allow", "Any", "443", local="203.0.113.20/32")
            + "\n" + netsh_rule("Old test", "Allow", "Any", "25", enabled="No") + "Ok.\n")
    path = tmp / "exchange-firewall.txt"
    path.write_text(text)
    return path


def windows_json(tmp: Path, allowed: AddressSet) -> Path:
    profiles = [{"Name": n, "Enabled": "True", "DefaultInboundAction": "NotConfigured",
                 "DefaultOutboundAction": "NotConfigured"} for n in ("Domain", "Private", "Public")]
    rule = {"Name": "EOP-SMTP", "DisplayName": "Exchange Online Protection (SMTP-In)", "Enabled": "True",
            "Direction": "Inbound", "Profile": "Any", "Action": "Allow", "LocalAddress": "Any",
            "RemoteAddress": allowed.to_cidrs(), "Protocol": "TCP", "LocalPort": "25",
            "RemotePort": "Any", "Program": "Any", "Service": "Any", "InterfaceType": "Any",
            "Authentication": "NotRequired", "Encryption": "NotRequired", "OverrideBlockRules": False}
    path = tmp / "exchange-firewall.json"
    path.write_text(json.dumps({"Profiles": profiles, "Rules": [rule]}, indent=4))
    return path


def srx(tmp: Path, allowed: AddressSet) -> Path:
    """Hierarchical ``show configuration`` text."""
    book = [f"            address EOP-2015-{i} {c};" for i, c in enumerate(allowed.to_cidrs())]
    members = [f"                address EOP-2015-{i};" for i in range(len(book))]
    text = "\n".join([
        "## Last commit: 2026-11-02 08:00:00 UTC by netadmin", "version 22.4R3.25;", "security {",
        "    address-book {", "        global {", *book, f"            address mailhost {MAIL_V4}/32;",
        f"            address mailhost6 {MAIL_V6}/128;", "            address owa 203.0.113.20/32;",
        "            address-set EOP-2015 {", *members, "            }", "        }", "    }",
        "    policies {", "        from-zone untrust to-zone trust {", "            policy eop-smtp {",
        "                match {", "                    source-address EOP-2015;",
        "                    destination-address [ mailhost mailhost6 ];",
        "                    application junos-smtp;", "                }",
        "                then {", "                    permit;", "                }", "            }",
        "            policy owa {", "                match {", "                    source-address any;",
        "                    destination-address owa;", "                    application junos-https;",
        "                }", "                then {", "                    permit;", "                }",
        "            }", "        }", "    }", "    zones {", "        security-zone untrust {",
        "            interfaces {", "                ge-0/0/0.0;", "            }", "        }",
        "        security-zone trust {", "            interfaces {", "                ge-0/0/1.0;",
        "            }", "        }", "    }", "}"])
    path = tmp / "srx-config.conf"
    path.write_text(text + "\n")
    return path


WRITERS: dict[str, Callable[[Path, AddressSet], Path]] = {"srx": srx,
    "fortigate": fortigate, "windows-netsh": windows_netsh, "windows-json": windows_json}
