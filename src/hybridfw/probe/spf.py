"""SPF records (RFC 7208): parse the terms. `spf_walk` evaluates them as a receiver does.

Receivers give up with a permanent error after 10 look-up terms (include, a, mx, ptr, exists,
redirect), counted across the whole evaluation; many published records cross that line unnoticed
once Exchange Online's include is added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hybridfw.errors import SpfSyntaxError

LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
MECHANISMS = LOOKUP_MECHANISMS | {"all", "ip4", "ip6"}
LOOKUP_LIMIT = 10
EXCHANGE_ONLINE_INCLUDE = "spf.protection.outlook.com"
_TERM = re.compile(r"^(?P<q>[+?~-]?)(?P<name>[a-z][a-z0-9_.-]*)(?P<sep>[:/=]?)(?P<value>.*)$", re.I)


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
        terms.append(SpfTerm(found["q"], name, ("/" + value) if sep == "/" else value))
    return SpfRecord(tuple(terms))
