"""Junos address sets (global and zone address books, both configuration forms) and every
statement that names them (see `groups`).

A member is exact when it is an address with a prefix or a ``range-address`` defined in exactly
one address book; a member ``address-set`` is listed as a group. A security policy's ``match
source-address`` / ``destination-address`` is a rule use (the rule's line is the line of the
policy's first statement, as the reader's `Origin`); ``address-set T address-set S`` is a group
use; any other statement naming the set (NAT, a configuration group, another logical system
...) is another use. A deactivated member statement is not a member.
"""

from __future__ import annotations

from hybridfw.rulesets._junos_leaves import split_statement
from hybridfw.rulesets._junos_tree import Deactivated, Statement, statements
from hybridfw.rulesets._srx_objects import SrxObjects
from hybridfw.rulesets.groups import Group, GroupIndex, Member, Use

_SIDES = {"source-address": "source", "destination-address": "destination"}


def _book(w: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """(address book, the statement's words inside it) for an address-book statement."""
    if w[:2] == ("security", "address-book") and len(w) >= 5:
        return f"address-book {w[2]}", w[3:]
    if w[:3] == ("security", "zones", "security-zone") and len(w) >= 7 and w[4] == "address-book":
        return f"zone {w[3]} address-book", w[5:]
    return None


def _policy_key(w: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(policy key, words after it) for a ``security policies ... policy P ...`` statement."""
    if w[:2] != ("security", "policies"):
        return None
    if w[2:3] == ("global",) and len(w) >= 5 and w[3] == "policy":
        return w[2:5], w[5:]
    if w[2:3] == ("from-zone",) and len(w) >= 8 and w[4] == "to-zone" and w[6] == "policy":
        return w[2:8], w[8:]
    return None


def srx_groups(text: str, path: str) -> GroupIndex:
    found = [s for s in statements(text, path) if s.verb in ("set", "deactivate")]
    off = Deactivated(found)
    live = [s for s in found if s.verb == "set" and not (off.lengths and off.covers(s.words))]
    objects = SrxObjects(path)
    defined: dict[str, int] = {}  # address name -> how many books define it
    # set key -> (kind, member, its statement, more members on its line)
    sets: dict[str, list[tuple[str, str, Statement, bool]]] = {}
    where: dict[str, tuple[str, str, int]] = {}  # set key -> (book, name, first line)
    for st in live:
        book = _book(st.words)
        if book is None:
            continue
        scope, inner = book
        if inner[0] == "address-set":
            key = f"{scope}|{inner[1]}"
            where.setdefault(key, (scope, inner[1], st.line))
            leaves = split_statement(st.words) or [st.words]
            for leaf in leaves:  # several members on one line: none can be removed alone
                if len(leaf) == len(st.words) - len(inner) + 4 and leaf[-2] in ("address", "address-set"):
                    sets.setdefault(key, []).append((leaf[-2], leaf[-1], st, len(leaves) > 1))
        elif inner[0] == "address" and len(inner) >= 3 and inner[2] != "description":
            defined[inner[1]] = defined.get(inner[1], 0) + 1
            objects.address_statement(inner, st.line)
    names: dict[str, list[str]] = {}
    for key, (_scope, name, _line) in where.items():
        names.setdefault(name, []).append(key)
    index = GroupIndex()
    for key, (scope, name, line) in where.items():
        members = []
        for kind, member, st, shared_line in sets.get(key, ()):
            if kind == "address-set":
                nested = names.get(member, [])
                members.append(Member(member, st.line, None, nested[0] if len(nested) == 1 else None))
                continue
            exact = None
            if defined.get(member) == 1 and not shared_line:
                fuzzy = objects.address(member, st.line)
                exact = fuzzy.sure if not fuzzy.maybe and not fuzzy.reasons else None
            members.append(Member(member, st.line, exact))
        index.groups[key] = Group(key, name, line, tuple(members), scope=scope)
    _uses(index, found, names)
    return index


def _uses(index: GroupIndex, found: list[Statement], names: dict[str, list[str]]) -> None:
    first: dict[tuple[str, ...], int] = {}
    for st in found:
        policy = _policy_key(st.words)
        if policy is not None and st.verb == "set":
            first.setdefault(policy[0], st.line)
    for st in found:
        w = st.words
        book, policy = _book(w), _policy_key(w)
        for at, word in enumerate(w):
            for key in names.get(word, ()):
                own = book is not None and at == len(w) - len(book[1]) + 1
                if own and book is not None and book[1][:2] == ("address-set", word):
                    continue  # the set's own definition
                if policy is not None and at >= 2 and w[at - 1] in _SIDES and w[at - 2] == "match" \
                        and policy[0] in first:
                    index.add_use(key, Use(st.line, f"policy {policy[0][-1]} {w[at - 1]}",
                                           rule=first[policy[0]], side=_SIDES[w[at - 1]]))
                elif book is not None and book[1][0] == "address-set" and w[at - 1] == "address-set":
                    index.add_use(key, Use(st.line, f"address-set {book[1][1]}",
                                           group=f"{book[0]}|{book[1][1]}"))
                else:
                    index.add_use(key, Use(st.line, " ".join(w[:6])))
