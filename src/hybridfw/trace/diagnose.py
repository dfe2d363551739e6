"""Unwrap a (possibly nested) error text into its status layers and find what it means.

Exchange wraps errors: `450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 ...
"Failed to connect. Winsock error code: 10061 ..."'`. The outer codes only say "something
failed further in"; the innermost recognised layer says what. So every catalog entry that
matches is placed at the position where its evidence starts, and the deepest one wins; ties go
to the more specific entry (code and pattern over code over pattern).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from hybridfw.trace.catalog import Catalog, code_matches
from hybridfw.trace.interface import CatalogEntry, Diagnosis, Layer

_ENHANCED = re.compile(r"(?<![\d.])(?:([245]\d\d)[ -])?([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_WINSOCK = re.compile(r"(?:winsock|socket) error code:?\s*(\d{4,5})", re.IGNORECASE)
_IP_PATTERNS = (
    re.compile(r"LastAttemptedIP=([0-9A-Fa-f:.]+)"),
    re.compile(r"OutboundProxyTargetIP:?\s*([0-9A-Fa-f:.]+)"),
    re.compile(r"[\[{]IP=([0-9A-Fa-f:.]+)[\]}]"),
    re.compile(r"primary target IP address:?\s+\[?([0-9A-Fa-f:.]{3,})", re.IGNORECASE),
    re.compile(r"Last endpoint attempted was\s+\[?([0-9A-Fa-f:.]+)", re.IGNORECASE),
)
_HOST_PATTERNS = (
    re.compile(r"LastAttemptedServerName=([^\]\s;]+)"),
    re.compile(r"OutboundProxyTargetHostName:?\s*([A-Za-z0-9.-]+)"),
    re.compile(r"\{FQDN=([^}\s]+)\}"),
)


def layers(text: str) -> list[Layer]:
    """Every status layer in the text, outermost (leftmost) first."""
    found = [Layer(code=f"{m[2]}.{m[3]}.{m[4]}", smtp=m[1] or "", position=m.start())
             for m in _ENHANCED.finditer(text)]
    found += [Layer(code=f"winsock:{m[1]}", smtp="", position=m.start()) for m in _WINSOCK.finditer(text)]
    found.sort(key=lambda layer: layer.position)
    # "Winsock error code: 10061, Win32 error code: 10061" is one layer, not two.
    chain: list[Layer] = []
    for layer in found:
        if not chain or chain[-1].code != layer.code:
            chain.append(layer)
    return chain


@lru_cache(maxsize=65536)  # logs repeat the same endpoints over and over
def clean_ip(raw: str) -> str:
    """An address from log text ("1.2.3.4", "1.2.3.4:25", "[2001:db8::1]:25"), normalised;
    "" when it is not an address."""
    host = raw.strip().rstrip(".")
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]  # IPv4 with a port
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return ""


def target_of(text: str) -> tuple[str, str]:
    """The target IP and host an error text names, first match of each kind."""
    ip = next((ip for p in _IP_PATTERNS for m in p.finditer(text) if (ip := clean_ip(m[1]))), "")
    host = next((m[1].rstrip(".") for p in _HOST_PATTERNS if (m := p.search(text)) and m[1]), "")
    return ip, host


def _candidates(text: str, chain: list[Layer], catalog: Catalog) -> list[tuple[int, int, CatalogEntry]]:
    """(position, specificity, entry) for every entry that matches somewhere in the text."""
    found: list[tuple[int, int, CatalogEntry]] = []
    for entry in catalog.entries:
        pattern = catalog.patterns.get(entry.id)
        if not entry.code:
            if pattern and (m := pattern.search(text)):
                found.append((m.start(), 0, entry))
            continue
        for layer in chain:
            if not code_matches(entry.code, layer.code):
                continue
            if pattern is None:
                found.append((layer.position, 1, entry))
            elif m := pattern.search(text, layer.position):
                found.append((m.start(), 2, entry))
    return found


def diagnose_text(text: str, catalog: Catalog) -> Diagnosis:
    """The innermost recognised cause of one error text, with its code chain and target."""
    chain = layers(text)
    candidates = _candidates(text, chain, catalog)
    entry = max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None
    ip, host = target_of(text)
    return Diagnosis(entry=entry, chain=tuple(layer.code for layer in chain), target_ip=ip, target_host=host)
