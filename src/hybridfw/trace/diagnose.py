"""Unwrap a (possibly nested) error text into its status layers and find what it means.

Exchange wraps errors: `450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 ...
"Failed to connect. Winsock error code: 10061 ..."'`. The outer codes only say "something
failed further in"; the innermost recognised layer says what. So every catalog entry that
matches is placed at the position where its evidence starts, and the deepest one wins; ties go
to the more specific entry (code and pattern, then exact code, then code range, then pattern).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from hybridfw.trace.catalog import Catalog, code_matches
from hybridfw.trace.interface import CatalogEntry, Diagnosis, Hop, Layer

_ENHANCED = re.compile(r"(?<![\d.])(?:([245]\d\d)[ -])?([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_WINSOCK = re.compile(r"(?:winsock|socket) error code:?\s*(\d{4,5})", re.IGNORECASE)
_SUCCESS = re.compile(r"^2\.")
_IP_PATTERNS = (
    re.compile(r"LastAttemptedIP=([0-9A-Fa-f:.]+)"),
    re.compile(r"OutboundProxyTargetIP:?\s*([0-9A-Fa-f:.]+)"),
    re.compile(r"[\[{]IP=([0-9A-Fa-f:.]+)[\]}]"),
    re.compile(r"primary target IP address:?\s+\[?([0-9A-Fa-f:.]{3,})", re.IGNORECASE),
    re.compile(r"Last endpoint attempted was\s+\[?([0-9A-Fa-f:.]+)", re.IGNORECASE),
    re.compile(r"actively refused it\s+\[?([0-9A-Fa-f:.]+)", re.IGNORECASE),
    re.compile(r"Failed connection to\s+\[?([0-9A-Fa-f:.]+)", re.IGNORECASE),
    re.compile(r"Server at \S+ \(([0-9A-Fa-f:.]+)\)", re.IGNORECASE),
)
_HOST_PATTERNS = (
    re.compile(r"LastAttemptedServerName=([^\]\s;]+)"),
    re.compile(r"OutboundProxyTargetHostName:?\s*([A-Za-z0-9.-]+)"),
    re.compile(r"\{FQDN=([^}\s]+)\}"),
    re.compile(r"Server at ([A-Za-z0-9.-]+\.[A-Za-z]{2,}) \(", re.IGNORECASE),
)


def layers(text: str) -> list[Layer]:
    """Every status layer in the text, outermost (leftmost) first."""
    found = [Layer(code=f"{m[2]}.{m[3]}.{m[4]}", smtp=m[1] or "", position=m.start())
             for m in _ENHANCED.finditer(text)]
    found += [Layer(code=f"winsock:{m[1]}", smtp="", position=m.start()) for m in _WINSOCK.finditer(text)]
    found.sort(key=lambda layer: layer.position)
    # "Winsock error code: 10061, Win32 error code: 10061" is one layer, not two, and so is
    # "#4.4.7 smtp;550 4.4.7 ..." (the classic NDR line), which keeps the reply code it carries.
    chain: list[Layer] = []
    for layer in found:
        if chain and chain[-1].code == layer.code:
            chain[-1] = Layer(layer.code, chain[-1].smtp or layer.smtp, chain[-1].position)
        else:
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


# What says which way the mail went (seen from on-premises). Exchange Online's own wording for
# its front end and its deferral reasons mean Exchange Online was sending to on-premises; an
# on-premises queue (Get-Queue LastError), the HCW send connector or a target host inside
# Exchange Online mean on-premises was sending to it.
_INBOUND_MARKS = re.compile(r"proxy session setup failed on frontend|\{LED=|LastAttemptedServerName=",
                            re.IGNORECASE)
_OUTBOUND_MARKS = re.compile(r"\b4\.4\.397\b|LastError\s*:|NextHopDomain\s*:|Outbound to Office 365|"
                             r"\.mail\.protection\.outlook\.com|mail\.onmicrosoft\.com", re.IGNORECASE)


def direction_of(text: str) -> Hop:
    """The direction an error text names, or "unknown" when it names none (or both)."""
    inbound, outbound = bool(_INBOUND_MARKS.search(text)), bool(_OUTBOUND_MARKS.search(text))
    if inbound == outbound:
        return "unknown"
    return "inbound" if inbound else "outbound"


def is_success_only(chain: tuple[str, ...]) -> bool:
    """True when every status in the chain is a success (2.x.x): delivered, queued, accepted."""
    return bool(chain) and all(_SUCCESS.match(code) for code in chain)


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
            if pattern is None:  # an exact code is more specific than a range
                found.append((layer.position, 1 if "-" in entry.code else 2, entry))
            elif m := pattern.search(text, layer.position):
                found.append((m.start(), 3, entry))
    return found


def _diagnose_line(text: str, catalog: Catalog) -> tuple[tuple[int, int, int], Diagnosis]:
    """One line's diagnosis and its rank among lines (higher is better, position-free)."""
    chain = layers(text)
    candidates = _candidates(text, chain, catalog)
    ip, host = target_of(text)
    codes = tuple(layer.code for layer in chain)
    if not candidates:
        return (-1, -1, 0), Diagnosis(entry=None, chain=codes, target_ip=ip, target_host=host)
    _position, specificity, entry = max(candidates, key=lambda c: (not c[2].wrapper, c[0], c[1]))
    rank = (int(not entry.wrapper), specificity, -catalog.index[entry.id])
    return rank, Diagnosis(entry=entry, chain=codes, target_ip=ip, target_host=host)


def diagnose_text(text: str, catalog: Catalog) -> Diagnosis:
    """The innermost recognised cause of an error text, with its code chain and target.

    Lines are diagnosed one by one and the best-ranked line decides (see the module doc); the
    chain and targets are those of the deciding line, else the first that names any."""
    lines = [line for line in text.split("\n") if line.strip()] or [text]
    ranked = [_diagnose_line(line, catalog) for line in lines]
    best = max(ranked, key=lambda r: r[0])[1]
    if len(ranked) == 1:
        return best
    chain = best.chain or next((d.chain for _, d in ranked if d.chain), ())
    ip = best.target_ip or next((d.target_ip for _, d in ranked if d.target_ip), "")
    host = best.target_host or next((d.target_host for _, d in ranked if d.target_host), "")
    return Diagnosis(entry=best.entry, chain=chain, target_ip=ip, target_host=host)
