"""The on-premises side of an Exchange hybrid deployment, read from a TOML topology file.

The file is validated completely before anything else runs: unknown keys, wrong types, bad
addresses and sections the chosen mode needs all raise `InputError` naming the file, the line
(where it can be found) and the dotted key.

    instance = "Worldwide"          # Worldwide | USGovDoD | USGovGCCHigh | China
    mode = "classic-full"           # classic-full | classic-minimal | modern-full | modern-minimal
    centralized_transport = false
    ipv6 = true
    [smtp]          addresses, tls_certificate_name, edge      (full modes)
    [web]           addresses, names, urls                      (classic modes; optional in modern;
                                                                 urls: {ews = "https://..."} as configured)
    [overrides]     smtp_inbound, https_inbound                 (optional)
    [hybrid_agent]  addresses                                   (modern modes: the agent hosts)
    [firewall]      outside_interface, inside_interface         (optional: names the audit uses
                                                                 to decide -i/-o, iifname/oifname)
                    placement = "host" | "gateway"              (optional: which netfilter path
                                                                 the flows take; see docs/audit.md)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.model import INSTANCES

MODES = ("classic-full", "classic-minimal", "modern-full", "modern-minimal")
_HOSTNAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$", re.I)


@dataclass(frozen=True)
class SmtpSection:
    """The servers Exchange Online delivers to and sends from (Edge or Mailbox)."""

    addresses: AddressSet = field(default_factory=AddressSet.empty)
    address_strings: tuple[str, ...] = ()
    tls_certificate_name: str = ""
    edge: bool = False


@dataclass(frozen=True)
class WebSection:
    """The published Autodiscover / EWS / MRSProxy endpoint."""

    addresses: AddressSet = field(default_factory=AddressSet.empty)
    address_strings: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    urls: tuple[tuple[str, str], ...] = ()  # (path name, https URL) as the hybrid configuration names them


@dataclass(frozen=True)
class Overrides:
    """Extra sources to admit (e.g. Exchange Online addresses seen but not yet published)."""

    smtp_inbound: AddressSet = field(default_factory=AddressSet.empty)
    https_inbound: AddressSet = field(default_factory=AddressSet.empty)


@dataclass(frozen=True)
class HybridAgentSection:
    """The hosts running the Hybrid Agent (modern modes)."""

    addresses: AddressSet = field(default_factory=AddressSet.empty)
    address_strings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirewallSection:
    """The audited firewall's interface names: Microsoft's traffic arrives on (and leaves by)
    the outside one; the Exchange servers sit behind the inside one. Empty: not given."""

    outside_interface: str = ""
    inside_interface: str = ""
    # "host": the audited server is the filtering machine (INPUT / input hook); "gateway":
    # traffic is routed through it (FORWARD / forward hook); "": not given (both evaluated).
    placement: str = ""


@dataclass(frozen=True)
class Topology:
    """A validated topology. Every section is present; absent ones are empty."""

    path: str
    instance: str
    mode: str
    centralized_transport: bool
    ipv6: bool
    smtp: SmtpSection
    web: WebSection
    overrides: Overrides
    hybrid_agent: HybridAgentSection
    firewall: FirewallSection = field(default_factory=FirewallSection)

    @property
    def is_full(self) -> bool:
        """Full modes carry mail between the premises (TCP 25 both ways)."""
        return self.mode.endswith("-full")

    @property
    def is_classic(self) -> bool:
        """Classic modes publish EWS/Autodiscover to Exchange Online (TCP 443 inbound)."""
        return self.mode.startswith("classic-")


class _Reader:
    """Typed access to the parsed document that reports errors with path, line and key."""

    def __init__(self, path: Path, text: str, doc: Mapping[str, Any], allow_any: bool) -> None:
        self.path, self.text, self.doc, self.allow_any = path, text, doc, allow_any

    def fail(self, key: str, message: str) -> InputError:
        return InputError(message, path=str(self.path), line=self._line_of(key), field=key)

    def _line_of(self, key: str) -> int | None:
        # tomllib keeps no positions; find `key =` inside its [section] so the user can jump there.
        section, _, name = key.rpartition(".")
        current = ""
        for number, raw in enumerate(self.text.splitlines(), start=1):
            line = raw.strip()
            header = re.match(r"^\[([^\]]+)\]", line)
            if header:
                current = header.group(1).strip()
                if not name and current == key:
                    return number
            elif current == section and re.match(rf"^{re.escape(name)}\s*=", line):
                return number
        return None

    def table(self, key: str, required: bool = False) -> Mapping[str, Any]:
        value = self.doc.get(key)
        if value is None:
            if required:
                raise self.fail(key, f"section [{key}] is required for mode "
                                     f"{self.doc.get('mode')!r}")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a [{key}] table, got {type(value).__name__}")
        return value

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(prefix + key, f"unknown key {prefix + key!r}; allowed here: "
                                              f"{', '.join(allowed)}")

    def typed(self, table: Mapping[str, Any], key: str, kind: type, default: Any,
              prefix: str = "") -> Any:
        value = table.get(key, default)
        # bool is an int in Python; a TOML `true` is never a valid string or list either way.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(prefix + key, f"expected {kind.__name__}, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        values = self.typed(table, key, list, [], prefix)
        for item in values:
            if not isinstance(item, str):
                raise self.fail(prefix + key, f"expected a list of strings, found {item!r}")
        return tuple(values)

    def addresses(self, table: Mapping[str, Any], key: str, prefix: str,
                  ipv6: bool) -> tuple[AddressSet, tuple[str, ...]]:
        items = self.strings(table, key, prefix)
        try:
            parsed = AddressSet.parse(items)
        except AddressError as exc:
            raise self.fail(prefix + key, f"bad address: {exc}") from None
        for item in items:
            if problem := address_problem(item, self.allow_any):
                raise self.fail(prefix + key, problem)
        if not ipv6 and parsed.family(6):
            raise self.fail(prefix + key, "IPv6 address given but the topology says ipv6 = false")
        return parsed, items


ANY_PREFIX = 7  # a /7 or wider opens a flow to (a large part of) everything


def address_problem(item: str, allow_any: bool) -> str:
    """Why a topology address is refused ("" if it is fine): host bits set in a CIDR (a silent
    widening: 203.0.113.10/24 is 203.0.113.0/24), or a range as wide as a /7 or wider, which
    opens the flow to (almost) anyone, unless `allow_any`."""
    import ipaddress

    text = item.strip()
    if "/" in text:
        try:
            ipaddress.ip_network(text, strict=True)
        except ValueError:
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:  # a form AddressSet reads and ipaddress does not: nothing to add
                return ""
            return (f"{text} has host bits set: write {network} for the network, or "
                    f"{text.split('/')[0]} for the one host")
    if allow_any:
        return ""
    parsed = AddressSet.parse([text])
    for family, bits in ((4, 32), (6, 128)):
        if parsed.num_addresses(family) >= 1 << (bits - ANY_PREFIX):  # type: ignore[arg-type]
            return (f"{text} opens the flow to (almost) any address (a /{ANY_PREFIX} or wider); "
                    "give the real ranges, or pass --allow-any if you mean it")
    return ""


_allow_any = False


def set_allow_any(value: bool) -> None:
    """`hybridfw --allow-any`: accept topology addresses that open a flow to everything."""
    global _allow_any
    _allow_any = value


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        # utf-8-sig: Notepad and PowerShell 5.1 write a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("topology file not found", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError(f"TOML syntax error: {message}", path=str(path), line=line) from None


def _smtp(r: _Reader, ipv6: bool, needed: bool) -> SmtpSection:
    table = r.table("smtp", required=needed)
    r.check_keys(table, ("addresses", "tls_certificate_name", "edge"), "smtp.")
    addresses, strings = r.addresses(table, "addresses", "smtp.", ipv6)
    name = r.typed(table, "tls_certificate_name", str, "", "smtp.")
    if needed and not addresses:
        raise r.fail("smtp.addresses", "at least one address is required in full modes")
    if needed and not name:
        raise r.fail("smtp.tls_certificate_name", "required in full modes (forced TLS with EOP)")
    if name and not _HOSTNAME.match(name):
        raise r.fail("smtp.tls_certificate_name", f"not a host name: {name!r}")
    edge = r.typed(table, "edge", bool, False, "smtp.")
    return SmtpSection(addresses, strings, name, edge)


def _web(r: _Reader, ipv6: bool, needed: bool) -> WebSection:
    table = r.table("web", required=needed)
    r.check_keys(table, ("addresses", "names", "urls"), "web.")
    addresses, strings = r.addresses(table, "addresses", "web.", ipv6)
    names = r.strings(table, "names", "web.")
    if needed and not addresses:
        raise r.fail("web.addresses", "at least one address is required in classic modes")
    for name in names:
        if not _HOSTNAME.match(name):
            raise r.fail("web.names", f"not a host name: {name!r}")
    urls = r.typed(table, "urls", dict, {}, "web.")
    for key, url in urls.items():
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise r.fail(f"web.urls.{key}", f"expected an https:// URL, got {url!r}")
    return WebSection(addresses, strings, names, tuple(urls.items()))


def _overrides(r: _Reader, ipv6: bool) -> Overrides:
    table = r.table("overrides")
    r.check_keys(table, ("smtp_inbound", "https_inbound"), "overrides.")
    smtp, _ = r.addresses(table, "smtp_inbound", "overrides.", ipv6)
    https, _ = r.addresses(table, "https_inbound", "overrides.", ipv6)
    return Overrides(smtp, https)


def _hybrid_agent(r: _Reader, ipv6: bool, needed: bool) -> HybridAgentSection:
    table = r.table("hybrid_agent", required=needed)
    r.check_keys(table, ("addresses",), "hybrid_agent.")
    addresses, strings = r.addresses(table, "addresses", "hybrid_agent.", ipv6)
    if needed and not addresses:
        raise r.fail("hybrid_agent.addresses", "the Hybrid Agent hosts are required in modern modes")
    return HybridAgentSection(addresses, strings)


def _firewall(r: _Reader) -> FirewallSection:
    table = r.table("firewall")
    keys = ("outside_interface", "inside_interface")
    r.check_keys(table, (*keys, "placement"), "firewall.")
    names = [r.typed(table, key, str, "", prefix="firewall.") for key in keys]
    for key, name in zip(keys, names, strict=True):
        problem = interface_name_problem(name) if name else ""
        if problem:
            raise r.fail(f"firewall.{key}", problem)
    placement = r.typed(table, "placement", str, "", prefix="firewall.")
    if placement not in ("", *PLACEMENTS):
        raise r.fail("firewall.placement", f"must be one of {', '.join(PLACEMENTS)}, "
                     f"not {placement!r}")
    return FirewallSection(names[0], names[1], placement)


def interface_name_problem(name: str) -> str:
    """Why `name` cannot be a network interface name ("" if it can): Linux allows 1-15
    characters, none of them blank or "/"."""
    if not 0 < len(name) <= 15:
        return f"interface name {name!r} must be 1-15 characters"
    if any(c.isspace() or c == "/" for c in name):
        return f"interface name {name!r} has a blank or '/'"
    return ""


PLACEMENTS = ("host", "gateway")  # [firewall] placement values (hybridfw.audit.paths)

_TOP_KEYS = ("instance", "mode", "centralized_transport", "ipv6",
             "smtp", "web", "overrides", "hybrid_agent", "firewall")


def _choice(r: _Reader, key: str, allowed: tuple[str, ...], default: str | None) -> str:
    value = r.typed(r.doc, key, str, default if default is not None else None)
    for name in allowed:
        if name.lower() == value.lower():
            return name
    raise r.fail(key, f"unknown {key} {value!r}; use one of {', '.join(allowed)}")


def load_topology(path: Path, *, allow_any: bool | None = None) -> Topology:
    """Read and validate a topology file. Raises InputError naming the file, line and key.
    `allow_any` (default: `hybridfw --allow-any`) accepts addresses as wide as a /7."""
    text, doc = _read_toml(Path(path))
    r = _Reader(Path(path), text, doc, _allow_any if allow_any is None else allow_any)
    r.check_keys(doc, _TOP_KEYS, "")
    if "mode" not in doc:
        raise r.fail("mode", f"required; use one of {', '.join(MODES)}")
    mode = _choice(r, "mode", MODES, None)
    instance = _choice(r, "instance", INSTANCES, "Worldwide")
    ipv6 = r.typed(doc, "ipv6", bool, True)
    full, classic = mode.endswith("-full"), mode.startswith("classic-")
    sections: dict[str, Callable[[], Any]] = {
        "smtp": lambda: _smtp(r, ipv6, needed=full),
        "web": lambda: _web(r, ipv6, needed=classic),
        "overrides": lambda: _overrides(r, ipv6),
        "hybrid_agent": lambda: _hybrid_agent(r, ipv6, needed=not classic),
        "firewall": lambda: _firewall(r),
    }
    built = {name: make() for name, make in sections.items()}
    return Topology(
        path=str(path), instance=instance, mode=mode,
        centralized_transport=r.typed(doc, "centralized_transport", bool, False),
        ipv6=ipv6, **built,
    )
