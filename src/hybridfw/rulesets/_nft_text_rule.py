"""One nft rule in text form (`nft list ruleset` or an `nft -f` file) → normalised Rules.

The rule is a token list. Selectors we understand (addresses, protocols, ports, conntrack
state, interfaces) are folded into a MatchBuilder; statements that only observe (counter, log,
comment) are skipped; anything else becomes an undecidable condition naming the words. A verdict
map (`tcp dport vmap { 25 : accept, 22 : jump ssh }`) becomes one rule per key, in order: the
keys of a map are disjoint, so this is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hybridfw.addresses import AddressError, AddressSet, Family
from hybridfw.errors import NftRuleError
from hybridfw.rulesets._netfilter import parse_port_range
from hybridfw.rulesets._nft_common import VERDICTS, MatchBuilder
from hybridfw.rulesets.model import Action, Origin, Rule
from hybridfw.rulesets.ports import PortInterval

Token = tuple[str, int]  # text, line
SetLookup = Callable[[str], list[str] | None]  # named set → element texts


@dataclass(frozen=True)
class Selector:
    kind: str  # "saddr", "daddr", "dport", "l4proto", "nfproto", "state", "iface"
    family: Family | None = None  # for saddr/daddr
    protocol: str = ""  # for dport: tcp/udp/sctp/dccp, "" for th
    keyword: str = ""  # as written, for messages


_ADDR = {("ip", "saddr"): 4, ("ip", "daddr"): 4, ("ip6", "saddr"): 6, ("ip6", "daddr"): 6}
_L4 = {"tcp", "udp", "sctp", "dccp", "udplite", "th"}
_IFACE = {"iif", "iifname", "oif", "oifname"}
_OPS = {"==", "!=", "<", ">", "<=", ">="}
_OBSERVE_ARGS = {"counter": {"packets", "bytes"},
                 "log": {"prefix", "level", "group", "snaplen", "queue-threshold", "flags"},
                 "comment": set()}


# Statements that end a nat chain's walk: dnat translates the destination (the audit follows
# it on the forward path), redirect sends the packet to the firewall itself (not followed).
_NAT_STATEMENTS = {"dnat": Action.DNAT, "redirect": Action.UNKNOWN}
_NAT_FLAGS = {"comment", "random", "fully-random", "persistent"}


def _nat_target(words: list[str], i: int) -> str:
    """What follows ``dnat [ip|ip6] to``, as written ("" when there is no ``to``)."""
    if i < len(words) and words[i] in ("ip", "ip6") and words[i + 1:i + 2] == ["to"]:
        i += 1
    if i >= len(words) or words[i] != "to":
        return ""
    out: list[str] = []
    for word in words[i + 1:]:
        if word in _NAT_FLAGS:
            break
        out.append(word)
    return " ".join(out)


def _selector(words: list[str], i: int) -> tuple[Selector | None, int]:
    """Recognise a selector starting at words[i]; returns it and the index after it."""
    a = words[i]
    b = words[i + 1] if i + 1 < len(words) else ""
    if (a, b) in _ADDR:
        fam: Family = 4 if _ADDR[(a, b)] == 4 else 6
        return Selector(b, fam, keyword=f"{a} {b}"), i + 2
    if (a == "ip" and b == "protocol") or (a == "ip6" and b == "nexthdr") or \
            (a == "meta" and b == "l4proto"):
        return Selector("l4proto", keyword=f"{a} {b}"), i + 2
    if a == "meta" and b in ("nfproto", "protocol"):
        return Selector("nfproto", keyword=f"meta {b}"), i + 2
    if a in _L4 and b == "dport":
        return Selector("dport", protocol="" if a == "th" else a, keyword=f"{a} dport"), i + 2
    if a in ("icmp", "icmpv6") and b in ("type", "code"):
        return Selector("icmp", protocol="icmp" if a == "icmp" else "ipv6-icmp", keyword=f"{a} {b}"), i + 2
    if a == "ct" and b == "state":
        return Selector("state", keyword="ct state"), i + 2
    if a == "meta" and b in _IFACE:
        return Selector("iface", keyword=b), i + 2
    if a in _IFACE:
        return Selector("iface", keyword=a), i + 1
    return None, i


def _selectors(words: list[str], i: int) -> tuple[list[Selector], int]:
    """A selector, or a concatenation of them (``ip daddr . tcp dport``), at words[i]. An
    empty list with an index past i: a concatenation with a part not understood (the words
    up to that part are returned for the caller to treat as undecidable)."""
    sel, j = _selector(words, i)
    if sel is None:
        return [], i
    found = [sel]
    while j < len(words) and words[j] == ".":
        nxt, k = _selector(words, j + 1)
        if nxt is None:
            return [], j + 1
        found.append(nxt)
        j = k
    return found, j


def _copy(builder: MatchBuilder) -> MatchBuilder:
    return replace(builder, undecidable=list(builder.undecidable),
                   interfaces=list(builder.interfaces))


class TextRuleParser:
    def __init__(self, table_family: Family | None, named_sets: SetLookup) -> None:
        self.table_family = table_family
        self.named_sets = named_sets

    def parse(self, tokens: list[Token], origin: Origin) -> list[Rule]:
        words = [t for t, _ in tokens]
        builder = MatchBuilder(self.table_family)
        action, target, label = Action.CONTINUE, "", ""
        vmap: tuple[list[Selector], list[tuple[str, str, str]]] | None = None
        concats: list[tuple[list[Selector], str, list[str]]] = []
        unknown: list[str] = []
        i, n = 0, len(words)
        while i < n:
            sels, j = _selectors(words, i)
            if sels:
                self._flush_unknown(builder, unknown)
                op, values, is_vmap, i = self._value(words, j)
                if is_vmap:
                    vmap = (sels, self._vmap_entries(values))
                elif len(sels) > 1:
                    concats.append((sels, op, values))
                else:
                    self.apply(builder, sels[0], op, values)
                continue
            if j > i:  # a concatenation with a part hybridfw does not know: undecidable
                unknown += words[i:j]
                i = j
                continue
            word = words[i]
            if word == "tcp" and i + 1 < n and words[i + 1] == "flags":
                self._flush_unknown(builder, unknown)
                i = tcp_flags(builder, words, i + 2)
            elif word in _OBSERVE_ARGS:
                self._flush_unknown(builder, unknown)
                i = _skip_args(words, i + 1, _OBSERVE_ARGS[word], word != "comment")
            elif word in _NAT_STATEMENTS:
                self._flush_unknown(builder, unknown)
                action, label = _NAT_STATEMENTS[word], word
                target = _nat_target(words, i + 1) if action == Action.DNAT else ""
                if words[i + 1:i + 2] in (["ip"], ["ip6"]):  # `dnat ip to`: IPv4 packets only
                    builder.restrict_family(4 if words[i + 1] == "ip" else 6)
                break
            elif word in VERDICTS:
                self._flush_unknown(builder, unknown)
                action, label = VERDICTS[word], word
                if action in (Action.JUMP, Action.GOTO):
                    target = words[i + 1] if i + 1 < n else ""
                break  # what follows a verdict are its own arguments (reject with ...)
            else:
                unknown.append(word)
                i += 1
        self._flush_unknown(builder, unknown)
        rules: list[Rule] = []
        for one in self.alternatives(builder, concats):
            if vmap is None:
                rules.append(Rule(one.build(), action, origin, target, label))
            else:
                rules += self._expand_vmap(one, vmap, origin)
        return rules

    def alternatives(self, builder: MatchBuilder,
                     concats: list[tuple[list[Selector], str, list[str]]]) -> list[MatchBuilder]:
        """A concatenation matched against a set (``ip daddr . tcp dport { a . 25, b . 443 }``)
        is an "or" of its elements: one builder per element, each with every part applied.
        The elements of an nft set are distinct keys, so at most one matches a packet and the
        rules they become can follow each other in the chain exactly. A negated concatenation
        is no such "or": undecidable."""
        out = [builder]
        for sels, op, values in concats:
            keyword = " . ".join(s.keyword for s in sels)
            if op != "==":
                for b in out:
                    b.undecidable.append(f"{keyword} {op} {{ {', '.join(values[:3])} }}")
                continue
            grown = []
            for b in out:
                for value in values:
                    parts = [p.strip() for p in value.split(" . ")]
                    if len(parts) != len(sels):
                        raise NftRuleError(f"element {value!r} does not fit {keyword}")
                    one = _copy(b)
                    for sel, part in zip(sels, parts, strict=True):
                        self.apply(one, sel, "==", [part])
                    grown.append(one)
            out = grown
        return out

    @staticmethod
    def _flush_unknown(builder: MatchBuilder, unknown: list[str]) -> None:
        if unknown:
            builder.undecidable.append(" ".join(unknown))
            unknown.clear()

    def _value(self, words: list[str], i: int) -> tuple[str, list[str], bool, int]:
        """Operator, element texts, whether it is a verdict map, next index."""
        op = "=="
        if i < len(words) and words[i] in _OPS:
            op, i = words[i], i + 1
        if i < len(words) and words[i] == "vmap":
            elements, i = self.elements(words, i + 1)
            return op, elements, True, i
        elements, i = self.elements(words, i)
        return op, elements, False, i

    def elements(self, words: list[str], i: int) -> tuple[list[str], int]:
        if i >= len(words):
            raise NftRuleError("value missing")
        word = words[i]
        if word.startswith("@"):
            found = self.named_sets(word[1:])
            if found is None:
                raise NftRuleError(f"unknown set {word}")
            return found, i + 1
        if word == "{":
            depth, j, out, current = 1, i + 1, [], []
            while j < len(words) and depth:
                w = words[j]
                depth += (w == "{") - (w == "}")
                if depth and w != ",":
                    current.append(w)
                elif current:
                    out.append(" ".join(current))
                    current = []
                j += 1
            return out, j
        out = [word]
        # "established,related" in files; the kernel lists flags as "established | related"
        while i + 2 < len(words) and words[i + 1] in (",", "|"):
            out.append(words[i + 2])
            i += 2
        return out, i + 1

    @staticmethod
    def _vmap_entries(elements: list[str]) -> list[tuple[str, str, str]]:
        entries = []
        for element in elements:
            key, sep, verdict = element.partition(" : ")
            if not sep:
                raise NftRuleError(f"verdict map element without ':' ({element!r})")
            vwords = verdict.split()
            entries.append((key.strip(), vwords[0], vwords[1] if len(vwords) > 1 else ""))
        return entries

    def _expand_vmap(self, builder: MatchBuilder,
                     vmap: tuple[list[Selector], list[tuple[str, str, str]]],
                     origin: Origin) -> list[Rule]:
        """One rule per key, in order (keys are distinct: exact); a key of a concatenated map
        (``ip saddr . tcp dport vmap { 10.0.0.1 . 25 : accept }``) applies each part."""
        selectors, entries = vmap
        rules = []
        for key, verdict, target in entries:
            if verdict not in VERDICTS:
                raise NftRuleError(f"unknown verdict {verdict!r} in a verdict map")
            parts = [p.strip() for p in key.split(" . ")] if len(selectors) > 1 else [key]
            if len(parts) != len(selectors):
                raise NftRuleError(f"verdict map key {key!r} does not fit its concatenation")
            one = _copy(builder)
            for selector, part in zip(selectors, parts, strict=True):
                self.apply(one, selector, "==", [part])
            rules.append(Rule(one.build(), VERDICTS[verdict], origin, target, verdict))
        return rules

    def apply(self, b: MatchBuilder, sel: Selector, op: str, values: list[str]) -> None:
        negated = op == "!="
        text = f"{sel.keyword} {op} {', '.join(values[:4])}"
        first_words = [v.split()[0] if v.split() else v for v in values]
        if any(" . " in v for v in values) or (op not in ("==", "!=") and sel.kind != "dport"):
            b.undecidable.append(text)
        elif sel.kind in ("saddr", "daddr"):
            assert sel.family is not None
            try:
                b.address(sel.kind, sel.family, AddressSet.parse(first_words), negated)
            except AddressError:
                b.undecidable.append(text)
        elif sel.kind == "dport":
            self._dport(b, sel, op, first_words, text)
        elif sel.kind == "icmp":
            b.protocol({sel.protocol}, False)
        elif sel.kind == "l4proto":
            b.protocol(set(first_words), negated)
        elif sel.kind == "nfproto":
            fams = {4 if w in ("ipv4", "ip") else 6 for w in first_words
                    if w in ("ipv4", "ipv6", "ip", "ip6")}
            if len(fams) == 1 and not negated:
                b.restrict_family(4 if 4 in fams else 6)
            elif len(fams) == 1:
                b.restrict_family(6 if 4 in fams else 4)
        elif sel.kind == "state":
            self._state(b, {w.lower() for v in first_words for w in v.split("|") if w}, negated, text)
        else:
            names = [name.strip('"') for name in first_words]
            b.interface(sel.keyword, names, negated,
                        f"{sel.keyword} {'!= ' if negated else ''}{', '.join(names)}")

    @staticmethod
    def _state(b: MatchBuilder, states: set[str], negated: bool, text: str) -> None:
        """nft compares a bitmask with != as a whole value (checked against the kernel): for a
        new connection `ct state != X` holds unless X is exactly {new}; a plain or == list is
        a flag test (any of them set)."""
        holds = states != {"new"} if negated else "new" in states
        if not holds:
            b.never = f"{text}: not a new connection"

    @staticmethod
    def _dport(b: MatchBuilder, sel: Selector, op: str, values: list[str], text: str) -> None:
        ports: list[PortInterval] = []
        for value in values:
            parsed = parse_port_range(value, "-")
            if parsed is None:
                b.undecidable.append(text)
                return
            ports.append(parsed)
        if op in ("<", "<=", ">", ">=") and len(ports) == 1:
            v = ports[0][0]
            ports = [{"<": (0, v - 1), "<=": (0, v), ">": (v + 1, 65535), ">=": (v, 65535)}[op]]
            if ports[0][0] > ports[0][1]:
                b.never = text
                return
        if sel.protocol:
            b.protocol({sel.protocol}, False)
        b.dport(tuple(ports), op == "!=")


def _skip_args(words: list[str], i: int, keys: set[str], keyed: bool) -> int:
    """Skip a statement's arguments: ``key value`` pairs (or, for comment, one value)."""
    if not keyed:
        return i + 1
    while i < len(words) and words[i] in keys:
        i += 2
    return i


_TCP_FLAG_BITS = {"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}
_SYN = _TCP_FLAG_BITS["syn"]


def _flag_value(text: str) -> int | None:
    value = 0
    for name in text.replace("(", "").replace(")", "").split("|"):
        if not name:
            continue
        bit = _TCP_FLAG_BITS.get(name.strip())
        if bit is None:
            return None
        value |= bit
    return value


def _flag_words(words: list[str], i: int) -> tuple[str, int]:
    """Consume a flag expression like ``(fin|syn)``, ``fin | syn`` or ``{ syn, ack }``."""
    out = []
    while i < len(words) and (words[i] in ("|", "(", ")") or
                              all(p in _TCP_FLAG_BITS or not p for p in
                                  words[i].replace("(", "").replace(")", "").split("|"))):
        out.append(words[i])
        i += 1
    return "".join(out), i


def tcp_flags(b: MatchBuilder, words: list[str], i: int) -> int:
    """`tcp flags [& MASK] [OP] VALUE` evaluated for a bare SYN; undecidable when unusual."""
    start = i
    b.protocol({"tcp"}, False)
    mask = 0xFF
    if i < len(words) and words[i] == "&":
        text, i = _flag_words(words, i + 1)
        mask = _flag_value(text) if text else None  # type: ignore[assignment]
    op = "implicit"
    if i < len(words) and words[i] in _OPS:
        op, i = words[i], i + 1
    text, i = _flag_words(words, i)
    value = _flag_value(text) if text else None
    written = "tcp flags " + " ".join(words[start:i])
    if mask is None or value is None or text.startswith("{"):
        b.undecidable.append(written)
        return max(i, start + 1)
    packet = _SYN & mask
    if op == "implicit":  # a bare flag list tests "any of these set" (nft's flag semantics)
        result = bool(packet & value) if mask == 0xFF else packet == value
    else:
        result = {"==": packet == value, "!=": packet != value, "<": packet < value,
                  ">": packet > value, "<=": packet <= value, ">=": packet >= value}[op]
    if not result:
        b.never = f"{written}: not a SYN"
    return i
