"""SPF records (RFC 7208): parse the terms. `spf_walk` evaluates them as a receiver does.

Receivers give up with a permanent error after 10 look-up terms (include, a, mx, ptr, exists,
redirect), counted across the whole evaluation; many published records cross that line unnoticed
once Exchange Online's include is added.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from hybridfw.errors import SpfSyntaxError

LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MECHANISMS = LOOKUP_MECHANISMS | {"all", "ip4", "ip6"}
LOOKUP_LIMIT = 10
EXCHANGE_ONLINE_INCLUDE = "spf.protection.outlook.com"
_TERM = re.compile(r"^(?P<q>[+?~-]?)(?P<name>[a-z][a-z0-9_.-]*)(?P<sep>[:/=]?)(?P<value>.*)$", re.I)
_DUAL_CIDR = re.compile(r"^(?P<domain>[^/]*)(?:/(?P<v4>\d+))?(?://(?P<v6>\d+))?$")
_ONCE = ("redirect", "exp")  # RFC 7208 6: each at most once


@dataclass(frozen=True)
class SpfTerm:
    qualifier: str  # "+", "-", "~", "?" ("" when absent, which means "+")
    name: str  # mechanism or modifier name, lower case
    value: str = ""  # after ":" or "=", or the "/len" of a bare "a/24"
    modifier: bool = False

    @property
    def counts_lookup(self) -> bool:
        return self.name in LOOKUP_MECHANISMS or (self.modifier and self.name == "redirect")

    def render(self) -> str:
        if self.modifier:
            return f"{self.name}={self.value}"
        sep = ":" if self.value and not self.value.startswith("/") else ""
        return f"{self.qualifier}{self.name}{sep}{self.value}"


@dataclass(frozen=True)
class SpfRecord:
    terms: tuple[SpfTerm, ...]

    def redirect(self) -> str:
        return next((t.value for t in self.terms if t.modifier and t.name == "redirect"), "")

    def all_term(self) -> SpfTerm | None:
        return next((t for t in self.terms if t.name == "all"), None)


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def parse_spf(text: str) -> SpfRecord:
    if not is_spf(text):
        raise SpfSyntaxError("does not start with 'v=spf1'")
    terms: list[SpfTerm] = []
    for raw in text.split()[1:]:
        found = _TERM.match(raw)
        if not found:
            raise SpfSyntaxError(f"bad term {raw!r}")
        name, sep, value = found["name"].lower(), found["sep"], found["value"]
        if sep == "=":
            if found["q"]:
                raise SpfSyntaxError(f"modifier with a qualifier {raw!r}")
            terms.append(SpfTerm("", name, value, modifier=True))
            continue
        if name not in MECHANISMS:
            raise SpfSyntaxError(f"unknown mechanism {name!r}")
        if name in ("include", "exists", "ip4", "ip6") and not value:
            raise SpfSyntaxError(f"{name} needs a value")
        value = ("/" + value) if sep == "/" else value
        _check_value(raw, name, sep, value)
        terms.append(SpfTerm(found["q"], name, value))
    for name in _ONCE:
        if sum(t.modifier and t.name == name for t in terms) > 1:
            raise SpfSyntaxError(f"'{name}=' more than once")
    return SpfRecord(tuple(terms))


def _check_value(raw: str, name: str, sep: str, value: str) -> None:
    """What RFC 7208 5 allows after each mechanism name; a receiver returns permerror for the
    whole record on any error (4.6), so mail that an earlier term would pass fails too."""
    if name == "all" and (sep or value):
        raise SpfSyntaxError(f"'all' takes no value: {raw!r}")
    if name in ("ip4", "ip6"):
        address, _, length = value.partition("/")
        family, limit = (ipaddress.IPv4Address, 32) if name == "ip4" else (ipaddress.IPv6Address, 128)
        try:
            family(address if sep == ":" else "")
        except ValueError:
            raise SpfSyntaxError(f"{name} needs an IPv{name[-1]} address: {raw!r}") from None
        if "/" in value and not (length.isdigit() and int(length) <= limit and length == str(int(length))):
            raise SpfSyntaxError(f"bad prefix length in {raw!r} (0-{limit})")
    elif name in ("a", "mx"):
        found = _DUAL_CIDR.match(value)
        if (found is None or (sep == ":" and not found["domain"])
                or (found["v4"] and int(found["v4"]) > 32) or (found["v6"] and int(found["v6"]) > 128)):
            raise SpfSyntaxError(f"bad domain or prefix length in {raw!r}")
