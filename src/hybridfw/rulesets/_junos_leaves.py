"""Junos ``set`` statements that set several leaves at once, split into one statement per leaf.

The Junos CLI takes several sibling statements in one ``set`` command, and Juniper's own
examples write them so (``set applications application ftp-1 protocol tcp source-port 0-65535
destination-port 2121-2121``, ``... policy P match source-address any destination-address any
application any``). ``display set`` prints one leaf per line, but configuration scripts and
hand-written files do not. Read as one statement, only the first leaf was seen: an application
``protocol tcp destination-port 2525`` became TCP to any port (a false all-clear).

Split here, where the grammar is known: a policy's ``match``, an application (or its ``term``),
an application set, an address set, a destination-NAT rule's ``match``. ``[ a b ]`` lists give
one statement per value. A keyword hybridfw does not know, with more than one word after it,
cannot be split (its arity is unknown): the rest becomes one ``unread-statement`` leaf, which the
reader turns into an unknown, never into a silently dropped condition.
"""

from __future__ import annotations

from hybridfw.rulesets._junos_tree import Statement

UNREAD = "unread-statement"
_MATCH_KEYS = frozenset({"source-address", "destination-address", "application", "source-identity",
                         "dynamic-application", "from-zone", "to-zone", "url-category",
                         "source-end-user-profile"})
_MATCH_FLAGS = frozenset({"source-address-excluded", "destination-address-excluded"})
_APP_KEYS = frozenset({"protocol", "destination-port", "source-port", "inactivity-timeout",
                       "application-protocol", "icmp-type", "icmp-code", "icmp6-type", "icmp6-code",
                       "rpc-program-number", "uuid", "ttl-threshold", "snmp-command",
                       "sip-call-hold-timeout", "description", "alg", "ether-type"})
_APP_FLAGS = frozenset({"learn-sip-register"})
_APP_SET_KEYS = frozenset({"application", "application-set", "description"})
_ADDRESS_SET_KEYS = frozenset({"address", "address-set", "description"})
_NAT_MATCH_KEYS = frozenset({"source-address", "destination-address", "destination-port", "protocol",
                             "application", "source-address-name", "destination-address-name"})
_PREFIXES = ("groups", "logical-systems", "tenants")
Grammar = tuple[frozenset[str], frozenset[str]]
_NONE: frozenset[str] = frozenset()


def leaves(words: tuple[str, ...], grammar: Grammar) -> list[tuple[str, ...]]:
    """`words` (the leaves after their common path) one leaf each: ``(key,)`` for a flag,
    ``(key, value)`` otherwise, ``(UNREAD, text)`` for what cannot be split."""
    keys, flags = grammar
    out: list[tuple[str, ...]] = []
    at, count = 0, len(words)
    while at < count:
        key = words[at]
        if key in flags or at + 1 == count:
            out.append((key,))
            at += 1
        elif words[at + 1] == "[" and key in keys:
            end = words.index("]", at) if "]" in words[at:] else count
            out += [(key, value) for value in words[at + 2:end]]
            at = end + 1
        elif key in keys or at + 2 == count:
            out.append((key, words[at + 1]))
            at += 2
        else:
            out.append((UNREAD, " ".join(words[at:])))
            break
    return out


def _split_at(words: tuple[str, ...]) -> tuple[int, Grammar] | None:
    """Where the leaves of a statement start and their grammar; None when it sets one leaf or
    is not one of the statements split here."""
    w = words
    if w[:2] == ("security", "policies"):
        at = 5 if w[2:3] == ("global",) else 8 if w[2:3] == ("from-zone",) else 0
        if at and w[at - 2:at - 1] == ("policy",) and w[at:at + 1] == ("match",):
            return at + 1, (_MATCH_KEYS, _MATCH_FLAGS)
    elif w[:2] == ("applications", "application") and len(w) > 3:
        return (5 if w[3] == "term" else 3), (_APP_KEYS, _APP_FLAGS)
    elif w[:2] == ("applications", "application-set"):
        return 3, (_APP_SET_KEYS, _NONE)
    elif w[:2] == ("security", "address-book") and w[3:4] == ("address-set",):
        return 5, (_ADDRESS_SET_KEYS, _NONE)
    elif w[:3] == ("security", "zones", "security-zone") and w[4:6] == ("address-book", "address-set"):
        return 7, (_ADDRESS_SET_KEYS, _NONE)
    elif w[:4] == ("security", "nat", "destination", "rule-set") and w[5:6] == ("rule",) \
            and w[7:8] == ("match",):
        return 8, (_NAT_MATCH_KEYS, _NONE)
    return None


def split_statement(words: tuple[str, ...]) -> list[tuple[str, ...]] | None:
    """The statements `words` sets, one leaf each; None when it sets at most one."""
    skip = 0
    while words[skip:skip + 1] and words[skip] in _PREFIXES:
        skip += 2
    found = _split_at(words[skip:])
    if found is None:
        return None
    at, grammar = found
    at += skip
    if len(words) <= at + 1:
        return None
    split = leaves(words[at:], grammar)
    if len(split) == 1 and split[0] == words[at:]:
        return None
    head = words[:at]
    return [head + leaf for leaf in split]


def split_leaves(found: list[Statement]) -> list[Statement]:
    """`found` with each statement that sets several leaves split into one per leaf (same
    line and verb)."""
    out: list[Statement] = []
    for st in found:
        parts = split_statement(st.words) if len(st.words) > 5 else None
        if parts is None:
            out.append(st)
        else:
            out += [Statement(p, st.line, st.verb) for p in parts]
    return out
