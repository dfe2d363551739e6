"""Benchmark: parse and audit large vendor configurations (ASA, PAN-OS XML, PAN-OS set, pfSense,
FortiGate, Windows Firewall netsh and JSON, SRX display set and hierarchical text, OPNsense).

Generates one big configuration per format (many objects, groups and rules, with the founding
scenario's rules at the end so the audit has to walk everything), then times, in this process:
  * baseline: reading the same text with the standard library only (ElementTree for XML,
    str.split per line for the line formats) — the floor any parser pays; like the parsers, it
    runs with the cyclic garbage collector paused (with it on, ElementTree took ~1.5x as long);
  * parse: hybridfw's parser to the normalised ruleset;
  * scoped: the parse `hybridfw audit` runs (`parse_scoped` with the audit's `Scope`: a parser
    may leave out rules no audited packet can match; the others parse everything);
  * audit: the required flows of examples/hybrid.toml evaluated on it.
Prints times (best of --repeat), the parse/baseline and scoped/baseline ratios, and peak Python
memory of a second (full) parse (tracemalloc).

    .venv/bin/python benchmarks/audit_vendor.py [--rules N] [--formats asa,panos,...]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from hybridfw.audit import audit_ruleset, audit_scope
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.rulesets import parsers
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parent.parent

ZONES = [f"z{i}" for i in range(6)]


def _net(i: int) -> str:
    return f"10.{(i >> 8) & 255}.{i & 255}.0/24"


def asa_config(n: int) -> str:
    lines = ["ASA Version 9.18(2)"]
    for g in range(n // 50):
        lines.append(f"object-group network G{g}")
        lines += [f" network-object {_net(g * 50 + k).split('/')[0]} 255.255.255.0" for k in range(5)]
    for i in range(n):
        group = f"object-group G{i // 50 % max(1, n // 50)}"
        src = group if i % 3 == 0 else f"host 172.16.{i >> 8 & 255}.{i & 255}"
        lines.append(f"access-list OUTSIDE_IN extended {'deny' if i % 7 == 0 else 'permit'} tcp {src} "
                     f"host 198.51.{i >> 8 & 255}.{i & 255} eq {1000 + i % 5000}")
    lines += ["access-list OUTSIDE_IN extended permit tcp 40.107.0.0 255.255.0.0 host 203.0.113.10 eq smtp",
              "access-group OUTSIDE_IN in interface outside"]
    return "\n".join(lines) + "\n"


def _xml_rule(i: int) -> str:
    zf, zt = ZONES[i % len(ZONES)], ZONES[(i + 1) % len(ZONES)]
    return (f'<entry name="r{i}"><from><member>{zf}</member></from><to><member>{zt}</member></to>'
            f"<source><member>a{i % 500}</member></source><destination><member>198.51.100.{i % 250}</member>"
            f"</destination><application><member>any</member></application><service><member>s{i % 100}"
            f"</member></service><action>{'deny' if i % 7 == 0 else 'allow'}</action></entry>")


def panos_xml(n: int) -> str:
    addresses = "".join(f'<entry name="a{i}"><ip-netmask>{_net(i)}</ip-netmask></entry>' for i in range(500))
    services = "".join(f'<entry name="s{i}"><protocol><tcp><port>{2000 + i}</port></tcp></protocol></entry>'
                       for i in range(100))
    zones = "".join(f'<entry name="{z}"/>' for z in ZONES)
    rules = "\n".join(_xml_rule(i) for i in range(n))
    return ('<config version="10.2.0"><devices><entry name="localhost.localdomain">'
            '<vsys><entry name="vsys1">'
            f"<zone>{zones}</zone><address>{addresses}</address><service>{services}</service>"
            f"<rulebase><security><rules>\n{rules}\n</rules></security></rulebase>"
            f"</entry></vsys></entry></devices></config>\n")


def panos_set(n: int) -> str:
    lines = [f"set zone {z} network layer3 ethernet1/{i}" for i, z in enumerate(ZONES)]
    lines += [f"set address a{i} ip-netmask {_net(i)}" for i in range(500)]
    lines += [f"set service s{i} protocol tcp port {2000 + i}" for i in range(100)]
    for i in range(n):
        zf, zt = ZONES[i % len(ZONES)], ZONES[(i + 1) % len(ZONES)]
        lines.append(f"set rulebase security rules r{i} from {zf} to {zt} source a{i % 500} destination "
                     f"198.51.100.{i % 250} application any service s{i % 100} "
                     f"action {'deny' if i % 7 == 0 else 'allow'}")
    return "\n".join(lines) + "\n"


def pfsense(n: int) -> str:
    aliases = "".join(f"<alias><name>A{i}</name><type>network</type>"
                      f"<address>{_net(i)} {_net(i + 1)}</address></alias>" for i in range(300))
    rules = "\n".join(
        f"<rule><type>{'block' if i % 7 == 0 else 'pass'}</type><interface>{('wan', 'lan', 'opt1')[i % 3]}"
        f"</interface><ipprotocol>inet</ipprotocol><protocol>tcp</protocol><source><address>A{i % 300}"
        f"</address></source><destination><address>198.51.100.{i % 250}</address><port>{1000 + i % 5000}"
        f"</port></destination></rule>" for i in range(n))
    return (f"<pfsense><interfaces><wan/><lan/><opt1/></interfaces><aliases>{aliases}</aliases>"
            f"<filter>\n{rules}\n</filter></pfsense>\n")


def fortigate(n: int) -> str:
    lines = ["#config-version=FG600F-7.4.3-FW", "config firewall address"]
    for i in range(500):
        lines += [f'    edit "a{i}"', f"        set subnet {_net(i)}", "    next"]
    lines += ["end", "config firewall service custom"]
    for i in range(100):
        lines += [f'    edit "s{i}"', f"        set tcp-portrange {2000 + i}", "    next"]
    lines += ["end", "config firewall policy"]
    for i in range(n):
        zf, zt = ZONES[i % len(ZONES)], ZONES[(i + 1) % len(ZONES)]
        lines += [f"    edit {i + 1}", f'        set srcintf "{zf}"', f'        set dstintf "{zt}"',
                  f'        set srcaddr "a{i % 500}"', '        set dstaddr "all"',
                  f"        set action {'deny' if i % 7 == 0 else 'accept'}",
                  '        set schedule "always"', f'        set service "s{i % 100}"', "    next"]
    return "\n".join([*lines, "end"]) + "\n"


def windows_netsh(n: int) -> str:
    """Profile settings, then n rules as netsh ... show rule name=all verbose prints them."""
    head = "".join(f"{p} Profile Settings:\n{'-' * 70}\nState{' ' * 33}ON\n"
                   f"Firewall Policy{' ' * 23}BlockInbound,AllowOutbound\n\n"
                   for p in ("Domain", "Private", "Public"))
    rules = []
    for i in range(n):
        fields = [("Rule Name", f"r{i}"), ("Enabled", "Yes"), ("Direction", "In"),
                  ("Profiles", ("Domain", "Domain,Private,Public")[i % 2]), ("LocalIP", "Any"),
                  ("RemoteIP", _net(i % 500)), ("Protocol", "TCP"), ("LocalPort", str(1000 + i % 5000)),
                  ("RemotePort", "Any"), ("Edge traversal", "No"), ("InterfaceTypes", "Any"),
                  ("Security", "NotRequired"), ("Action", "Block" if i % 7 == 0 else "Allow")]
        rules.append("\n".join(f"{k + ':':<38}{v}" for k, v in fields))
    return head + "Ok.\n\n" + "\n\n".join(rules) + "\nOk.\n"


def windows_json(n: int) -> str:
    """The rules of `windows_netsh` as the PowerShell line of docs/audit.md writes them
    (Get-NetFirewallRule with its filters, ConvertTo-Json)."""
    profiles = [{"Name": p, "Enabled": True, "DefaultInboundAction": "Block",
                 "DefaultOutboundAction": "Allow"} for p in ("Domain", "Private", "Public")]
    rules = [{"Name": f"{{r{i}}}", "DisplayName": f"r{i}", "Enabled": "True", "Direction": "Inbound",
              "Profile": ("Domain", "Any")[i % 2], "Action": "Block" if i % 7 == 0 else "Allow",
              "OverrideBlockRules": False, "LocalAddress": "Any", "RemoteAddress": _net(i % 500),
              "Protocol": "TCP", "LocalPort": str(1000 + i % 5000), "RemotePort": "Any",
              "Program": "Any", "Service": "Any", "InterfaceType": "Any",
              "Authentication": "NotRequired", "Encryption": "NotRequired"} for i in range(n)]
    return json.dumps({"Profiles": profiles, "Rules": rules}, indent=4) + "\n"


def srx_set(n: int) -> str:
    lines = [f"set security zones security-zone {z} interfaces ge-0/0/{i}.0"
             for i, z in enumerate(ZONES)]
    lines += [f"set security address-book global address a{i} {_net(i)}" for i in range(500)]
    lines += [f"set applications application s{i} protocol tcp destination-port {2000 + i}"
              for i in range(100)]
    for i in range(n):
        head = (f"set security policies from-zone {ZONES[i % len(ZONES)]} to-zone "
                f"{ZONES[(i + 1) % len(ZONES)]} policy p{i}")
        lines += [f"{head} match source-address a{i % 500}", f"{head} match destination-address any",
                  f"{head} match application s{i % 100}", f"{head} then {'deny' if i % 7 == 0 else 'permit'}"]
    return "\n".join(lines) + "\n"


def srx_text(n: int, quoted: bool = False) -> str:
    """The srx_set configuration as ``show configuration`` writes it (hierarchical, the policies
    of a zone pair in one block); `quoted`: each policy with a quoted description, every tenth
    with an annotation (``/* ... */`` before it), as real configurations often have."""
    out = ["security {", "    address-book {", "        global {"]
    out += [f"            address a{i} {_net(i)};" for i in range(500)]
    out += ["        }", "    }", "    policies {"]
    pairs: dict[tuple[str, str], list[int]] = {}
    for i in range(n):
        pairs.setdefault((ZONES[i % len(ZONES)], ZONES[(i + 1) % len(ZONES)]), []).append(i)
    for (zf, zt), numbers in pairs.items():
        out.append(f"        from-zone {zf} to-zone {zt} {{")
        for i in numbers:
            inner = [f"source-address a{i % 500};", "destination-address any;", f"application s{i % 100};"]
            if quoted and i % 10 == 0:
                out.append(f"            /* change {i}: reviewed */")
            out.append(f"            policy p{i} {{")
            if quoted:
                out.append(f'{" " * 16}description "p{i}: a{i % 500} to any, s{i % 100} (ticket #{i})";')
            out.append("                match {")
            out += [" " * 20 + statement for statement in inner]
            action = "deny" if i % 7 == 0 else "permit"
            pad = " " * 16
            out += [f"{pad}}}", f"{pad}then {{", f"{pad}    {action};", f"{pad}}}", "            }"]
        out.append("        }")
    out += ["    }", "    zones {"]
    for i, z in enumerate(ZONES):
        out += [f"        security-zone {z} {{", "            interfaces {", f"                ge-0/0/{i}.0;",
                "            }", "        }"]
    out += ["    }", "}", "applications {"]
    for i in range(100):
        out += [f"    application s{i} {{", "        protocol tcp;", f"        destination-port {2000 + i};",
                "    }"]
    return "\n".join([*out, "}"]) + "\n"


def _split_lines(text: str) -> object:
    return [line.split() for line in text.splitlines()]


def _timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best of `repeat` runs (the machine is shared: the minimum is the least disturbed)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=20000)
    ap.add_argument("--formats", default="", help="comma-separated formats to run (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for each timing (default 3)")
    args = ap.parse_args()
    n, only, repeat = args.rules, {f for f in args.formats.split(",") if f}, args.repeat
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), load_current())
    scope = audit_scope(flows)
    cases: list[tuple[str, str, Callable[[str], object]]] = [
        ("asa", asa_config(n), _split_lines), ("panos", panos_xml(n), ET.fromstring),
        ("panos-set", panos_set(n), _split_lines), ("pfsense", pfsense(n), ET.fromstring),
        ("fortigate", fortigate(n), _split_lines), ("windows-netsh", windows_netsh(n), _split_lines),
        ("windows-json", windows_json(n), json.loads), ("srx", srx_set(n), _split_lines),
        ("srx-text", srx_text(n), _split_lines),
        ("srx-text-quoted", srx_text(n, True), _split_lines),
        ("opnsense", pfsense(n).replace("pfsense>", "opnsense>"), ET.fromstring)]
    print(f"{'format':<15} {'MB':>6} {'baseline':>9} {'parse':>8} {'ratio':>6} {'scoped':>8} {'ratio':>6} "
          f"{'audit':>8} {'peak MB':>8} entries")
    for fmt, text, baseline in (c for c in cases if not only or c[0] in only):
        with gc_paused():  # as every vendor parser runs (parse_logged): the same footing
            base_t, _ = _timed(lambda: baseline(text), repeat)  # noqa: B023
        parser = parsers()[fmt.split("-text")[0]]  # srx-text(-quoted): the srx reader, hierarchical form
        parse_t, ruleset = _timed(lambda: parser.parse(text, fmt), repeat)  # noqa: B023
        scoped_t, _ = _timed(lambda: parser.parse_scoped(text, fmt, scope), repeat)  # noqa: B023
        tracemalloc.start()  # a second parse, measured apart: tracemalloc slows Python down
        parser.parse(text, fmt)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        audit_t, _ = _timed(lambda: audit_ruleset(ruleset, flows))  # type: ignore[arg-type]  # noqa: B023
        entries = len(ruleset.entries)  # type: ignore[attr-defined]
        print(f"{fmt:<15} {len(text) / 1e6:6.1f} {base_t:8.2f}s {parse_t:7.2f}s {parse_t / base_t:5.1f}x "
              f"{scoped_t:7.2f}s {scoped_t / base_t:5.1f}x {audit_t:7.2f}s {peak:8.0f} {entries}")


if __name__ == "__main__":
    main()
