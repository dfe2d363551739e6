"""Junos configuration groups expanded into the statements they add (what ``show configuration |
display inheritance`` shows), for the SRX reader.

``groups G <statements>`` defines a group; ``[<path>] apply-groups G`` makes the configuration at
<path> and below inherit G's statements under <path>; ``apply-groups-except G`` at a deeper
path stops that below it. Rules followed (Junos CLI user guide, "Configuration Groups"):
- the configuration's own statements win over inherited ones: an address, application or
  other named object the configuration defines itself is not taken from a group;
- groups apply in the order listed, a group applied at a deeper path before one applied above;
- a wildcard name (``<*>``, ``<ge-*>``; ``*``, ``?`` and ``[...]`` as in shell patterns) matches
  the names the configuration itself has at that place and adds nothing where none matches
  (``from-zone <*> to-zone <*> policy deny-log ...`` adds the policy to every zone pair that has
  policies of its own);
- inherited policies of a zone pair come after the pair's own policies (ordered lists: inherited
  entries are appended), in group order.
Not decided, and said so: a policy both the configuration and a group (or two groups) give
different values for one match field or action (whether Junos merges or replaces the lists is
left open: the policy is unknown over both values, naming the group); a group that applies groups itself (not
expanded: the statements are kept, and the reader treats it as before).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from hybridfw.rulesets._junos_tree import Deactivated, Statement

_CHOICE = ("then", "permit|deny|reject")  # one choice of three
UNDECIDED_ACTION = "(permit or deny: apply-groups)"
_NAMED = {("security", "address-book"): 5, ("applications", "application"): 3}


@dataclass
class Expanded:
    statements: list[Statement]
    # policy path ("security", "policies", ..., "policy", NAME) -> why it is undecided
    undecided: dict[tuple[str, ...], list[str]] = field(default_factory=lambda: defaultdict(list))
    expanded: list[tuple[str, int]] = field(default_factory=list)  # (group, line applying it)


def _pattern(word: str) -> str | None:
    return word[1:-1] if len(word) > 2 and word[0] == "<" and word[-1] == ">" else None


class _Index:
    """The names the configuration itself has after each path (for wildcards)."""

    def __init__(self, own: list[Statement]) -> None:
        self.after: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
        for st in own:
            for at in range(len(st.words) - 1):
                self.after[st.words[:at]][st.words[at]] = None

    def instances(self, words: tuple[str, ...], anchor: tuple[str, ...]) -> list[tuple[str, ...]]:
        """`words` with each wildcard replaced by the matching names (under `anchor`: the path
        the group is applied at; a wildcard there matches that path's own word)."""
        found: list[tuple[str, ...]] = [()]
        for at, word in enumerate(words):
            pattern = _pattern(word)
            grown: list[tuple[str, ...]] = []
            for prefix in found:
                if pattern is None:
                    grown.append((*prefix, word))
                elif at < len(anchor):
                    grown += [(*prefix, anchor[at])] if fnmatchcase(anchor[at], pattern) else []
                else:
                    grown += [(*prefix, n) for n in self.after.get(prefix, []) if fnmatchcase(n, pattern)]
            found = grown
        return found


def _policy_field(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(policy path, field) of a policy statement: ``match source-address``, ``then``, ..."""
    if words[:2] != ("security", "policies"):
        return None
    for at in range(2, len(words) - 1):
        if words[at] == "policy":
            body = words[at + 2:]
            if body[:1] == ("then",) and body[1:2] and body[1] in ("permit", "deny", "reject"):
                return words[:at + 2], _CHOICE
            return words[:at + 2], body[:2] if body[:1] in (("match",), ("then",)) else body[:1]
    return None


def _object_key(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """The named object (address, application) a statement defines, to let the configuration's
    own definition win."""
    for head, size in _NAMED.items():
        if words[:len(head)] == head and len(words) > size:
            return words[:size]
    if words[:3] == ("security", "zones", "security-zone") and len(words) > 7 and words[4] == "address-book":
        return words[:7] if words[5] == "address" else None
    return None


@dataclass
class _Parts:
    """A configuration's statements sorted out: group definitions, apply-groups, the rest."""

    groups: dict[str, list[Statement]] = field(default_factory=lambda: defaultdict(list))
    nested: set[str] = field(default_factory=set)  # groups that apply groups themselves
    own: list[Statement] = field(default_factory=list)
    applied: list[tuple[tuple[str, ...], str, int]] = field(default_factory=list)  # path, group, line
    excepted: list[tuple[tuple[str, ...], str]] = field(default_factory=list)


def _parts(found: list[Statement]) -> _Parts:
    off = Deactivated(found)
    parts = _Parts()
    for st in found:
        w = st.words
        if w[0] == "groups" and len(w) >= 3:
            if st.verb == "set" and not (off.lengths and off.covers(w)):
                parts.groups[w[1]].append(Statement(w[2:], st.line, st.verb))
                if "apply-groups" in w[2:]:
                    parts.nested.add(w[1])
        elif st.verb == "set" and "apply-groups" in w[:-1]:
            at = w.index("apply-groups")
            parts.applied.append((w[:at], w[at + 1], st.line))
        elif st.verb == "set" and "apply-groups-except" in w[:-1]:
            at = w.index("apply-groups-except")
            parts.excepted.append((w[:at], w[at + 1]))
        else:
            parts.own.append(st)
    return parts


class _Inheritance:
    """What the groups add to the configuration's own statements."""

    def __init__(self, parts: _Parts, out: Expanded) -> None:
        self.parts, self.out = parts, out
        self.index = _Index([s for s in parts.own if s.verb == "set"])
        # (policy, field) -> (who set it first: "" = the configuration, the statements)
        self.fields: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, set[tuple[str, ...]]]] = {}
        for st in parts.own:
            key = _policy_field(st.words) if st.verb == "set" else None
            if key is not None:
                self.fields.setdefault(key, ("", set()))[1].add(st.words)
        self.objects = {k for s in parts.own if (k := _object_key(s.words)) is not None}
        self.inherited: list[Statement] = []

    def apply(self, path: tuple[str, ...], name: str) -> None:
        excepted = [q for q, g in self.parts.excepted if g == name]
        for st in self.parts.groups[name]:
            for words in self.index.instances(st.words, path):
                if words[:len(path)] != path or any(words[:len(q)] == q for q in excepted):
                    continue
                obj = _object_key(words)
                if obj is not None and obj in self.objects:
                    continue  # the configuration's own (or an earlier group's) object wins
                self.inherited.append(Statement(self._decided(words, name), st.line, st.verb))
        self.objects |= {k for s in self.inherited if (k := _object_key(s.words)) is not None}

    def _decided(self, words: tuple[str, ...], name: str) -> tuple[str, ...]:
        """`words`, or the undecided action when the group's choice conflicts with another."""
        key = _policy_field(words)
        if key is None:
            return words
        source, seen = self.fields.setdefault(key, (name, set()))
        if source != name and words not in seen:
            self.out.undecided[key[0]].append(
                f"{name} also sets {' '.join(key[1])} of policy {key[0][-1]}"
                f" ({'the configuration' if not source else 'group ' + source} does too):"
                " audit 'show configuration | display inheritance'")
            if key[1] == _CHOICE:  # permit or deny: the action is not known
                words = (*key[0], "then", UNDECIDED_ACTION)
        seen.add(words)  # both values kept: the policy is unknown over either
        return words


def expand_groups(found: list[Statement]) -> Expanded:
    if not any(s.words[0] == "groups" or "apply-groups" in s.words for s in found):
        return Expanded(found)
    parts = _parts(found)
    out = Expanded(list(parts.own))
    inheritance = _Inheritance(parts, out)
    # deeper paths first; then in the order applied
    for path, name, line in sorted(parts.applied, key=lambda a: -len(a[0])):
        if name in parts.nested or name not in parts.groups:
            out.statements += [Statement((*path, "apply-groups", name), line)]
            out.statements += [Statement(("groups", name, *s.words), s.line)
                               for s in parts.groups.get(name, ())]
            continue
        out.expanded.append((name, line))
        inheritance.apply(path, name)
    out.statements += inheritance.inherited
    return out
