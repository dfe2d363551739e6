"""The SRX reader's statements: policies (`SrxPolicy`), zones, address books, applications,
NAT, default policy, ``insert``, ``deactivate`` and ``delete``, of the root or of one logical
system (`sections`). Policies of the ``display set`` form may come as records (`_srx_scan`):
one is built only when needed (`Reader.add_records`)."""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets._junos_groups import UNDECIDED_ACTION, expand_groups
from hybridfw.rulesets._junos_leaves import split_leaves, split_statement
from hybridfw.rulesets._junos_tree import Deactivated, Statement, statements
from hybridfw.rulesets._srx_blocks import applications
from hybridfw.rulesets._srx_objects import SrxObjects
from hybridfw.rulesets._srx_scan import PolicyKey, Record
from hybridfw.rulesets._vendor_util import warning

ACTIONS = ("permit", "deny", "reject")


@dataclass
class SrxPolicy:
    name: str
    line: int
    from_zones: list[str]
    to_zones: list[str]
    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    active: bool = True
    is_global: bool = False

    def values(self, key: str, default: str = "any") -> list[str]:
        return self.fields.get(key) or [default]


class Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.objects = SrxObjects(path)
        self.policies: dict[PolicyKey, SrxPolicy] = {}
        self.zones: list[str] = []
        self.default = ("deny-all", 0)
        self.findings: list[Finding] = []
        self.off = Deactivated([])
        self.zone_books = False  # zones with address books of their own (the older form)
        self.group_kinds: dict[str, set[str]] = defaultdict(set)  # groups G: what G configures
        self.applied: dict[str, int] = {}  # apply-groups G: the first line applying it
        self.skipped: list[PolicyKey] = []  # zone-pair policies left out of a scoped parse

    def read(self, text: str) -> Reader:
        """The root's statements only (logical systems and tenants left out)."""
        expanded = expand_groups(split_leaves(statements(text, self.path)))
        return self.read_section(sections(expanded.statements)[""], expanded.undecided)

    def read_section(self, found: list[Statement], undecided: Mapping[tuple[str, ...], list[str]],
                     prefix: tuple[str, ...] = ()) -> Reader:
        self.off = off = Deactivated(found)
        for st in found:
            if st.verb == "delete":
                self.findings.append(warning("audit.delete-ignored", "delete statement not applied",
                                             self.path, st.line))
            elif st.verb == "set":
                self._statement(st.words, st.line, bool(off.lengths) and off.covers(st.words))
            elif st.verb == "insert":
                self._insert(st.words, st.line)
        for path, reasons in undecided.items():
            if path[:len(prefix)] != prefix:
                continue
            path = path[len(prefix):]
            if path[2:3] == ("global",):
                policy = self.policies.get(("global", "", path[-1]))
            else:  # from-zone A to-zone B policy P (else no policy the reader knows)
                policy = self.policies.get((path[3], path[5], path[-1])) if len(path) == 8 else None
            if policy is not None:
                policy.fields["apply-groups"] += reasons
        return self

    def add_records(self, records: Mapping[PolicyKey, Record],
                    admits: Callable[[tuple[str, ...]], bool] | None) -> None:
        """The policies of `records` (`_srx_scan`), read after the other statements. With
        `admits` (the audit's scope), a zone-pair policy none of whose applications it admits
        is not built: its key goes to `skipped`. One with a statement the record alone cannot
        judge is built."""
        off = self.off
        for key, record in records.items():
            if admits is not None and key[1]:  # global policies (to-zone "") are always built
                apps = _plain_applications(record, off)
                if apps is not None and not admits(apps):  # never built: audit_vendor.py srx,
                    self.skipped.append(key)  # CPU, load 9-21: scoped parse 0.97-1.16 -> 0.14-0.24 s
                    continue
            for number, words in record.statements():
                w = tuple(words[1:])
                for part in (split_statement(w) if len(w) > 5 else None) or (w,):
                    self._policy(part[2:], number, bool(off.lengths) and off.covers(part))

    def _statement(self, w: tuple[str, ...], line: int, inactive: bool) -> None:
        if w[0] == "groups" and len(w) >= 3:
            self.group_kinds[w[1]].add(" ".join(w[2:4]) if w[2] == "security" else w[2])
            return
        if "apply-groups" in w[:-1]:
            self.applied.setdefault(w[w.index("apply-groups") + 1], line)
            return
        if w[0] == "security" and len(w) > 2 and w[1] == "policies":
            self._policy(w[2:], line, inactive)
            return
        if inactive:
            return
        if w[:2] == ("security", "address-book") and len(w) >= 5:
            self.objects.address_statement(w[3:], line)
        elif w[:3] == ("security", "zones", "security-zone") and len(w) >= 4:
            if w[3] not in self.zones:
                self.zones.append(w[3])
            if len(w) >= 8 and w[4] == "address-book":
                self.zone_books = True
                self.objects.address_statement(w[5:], line)
        elif w[0] == "applications" and len(w) >= 4:
            self.objects.application_statement(w[1:])
        elif w[:3] == ("security", "nat", "destination") and len(w) >= 5:
            self.objects.nat_statement(w[3:])

    def _insert(self, w: tuple[str, ...], line: int) -> None:
        """``insert security policies from-zone A to-zone B policy P before|after policy Q``
        (or ``global policy P ...``): P moves next to Q. One that cannot be done leaves the order
        unknown: an input error, as Junos refuses it too."""
        scope = w[2:6] if w[2:3] == ("from-zone",) else w[2:3]
        rest = w[2 + len(scope):]
        if (w[:2] != ("security", "policies") or len(rest) != 5 or rest[0] != "policy"
                or rest[2] not in ("before", "after") or rest[3] != "policy"):
            raise InputError("expected 'insert security policies ... policy P before|after policy Q'",
                             path=self.path, line=line, field="insert")
        zone = ("global", "") if scope == ("global",) else (scope[1], scope[3])
        moved, anchor = (*zone, rest[1]), (*zone, rest[4])
        if moved not in self.policies or anchor not in self.policies:
            missing = rest[1] if moved not in self.policies else rest[4]
            raise InputError(f"cannot insert: no policy {missing!r} there", path=self.path,
                             line=line, field="insert")
        if moved == anchor:
            return
        order = [k for k in self.policies if k != moved]
        at = order.index(anchor) + (rest[2] == "after")
        order.insert(at, moved)
        self.policies = {k: self.policies[k] for k in order}

    def _policy(self, w: tuple[str, ...], line: int, inactive: bool) -> None:
        head = w[0]
        if head == "default-policy" and len(w) >= 2:
            self.default = (w[1], line)
            return
        zones: tuple[list[str], list[str]]
        if head == "global" and len(w) >= 3 and w[1] == "policy":
            key, name, body, zones = ("global", "", w[2]), w[2], w[3:], ([], [])
        elif len(w) >= 6 and head == "from-zone" and w[2] == "to-zone" and w[4] == "policy":
            key, name, body, zones = (w[1], w[3], w[5]), w[5], w[6:], ([w[1]], [w[3]])
        else:
            return
        policy = self.policies.get(key)
        if policy is None:
            policy = self.policies[key] = SrxPolicy(name, line, *zones, is_global=key[0] == "global")
        if inactive:
            # The whole policy (or what holds it) deactivated, or only this one statement.
            if self.off.covers(("security", "policies", *w[:len(w) - len(body)])):
                policy.active = False
            else:
                return
        first = body[0] if body else ""
        if first == "match" and len(body) >= 3:
            target = policy.fields[body[1]]
            target.append(body[2])
            if policy.is_global and body[1] in ("from-zone", "to-zone"):
                (policy.from_zones if body[1] == "from-zone" else policy.to_zones).append(body[2])
        elif first == "match" and len(body) == 2:
            policy.fields[body[1]].append("yes")
        elif first == "then" and len(body) >= 2 and (body[1] in ACTIONS or body[1] == UNDECIDED_ACTION):
            policy.fields["then"] = [body[1]]
        elif first == "scheduler-name" and len(body) >= 2:
            policy.fields["scheduler-name"].append(body[1])



_SYSTEMS = ("logical-systems", "tenants")


_NAME = string.ascii_letters + string.digits + "-_./:@+"


def _plain_applications(record: Record, off: Deactivated) -> tuple[str, ...] | None:
    """The applications of a policy as `SrxPolicy.values` gives them, from the text of its
    statements; None when one needs the reader (quotes, several leaves, unusual blanks or
    characters, a deactivated statement)."""
    if record.block is not None:  # an unread block (`_srx_blocks`): its text may tell
        found = applications(record.block[3], tuple(record.head[1:]), off)
        if found is not None:
            return found
    apps: list[str] = []
    for _, rest in record.settle().items:
        if isinstance(rest, list):  # the words of a line with quotes or comments
            if any("application" in word for word in rest):
                return None
            continue
        if "application" not in rest:
            continue  # no word of it can be an application
        if not rest.startswith("match application "):
            return None
        name = rest[18:]
        if not name or name.strip(_NAME):  # a name of plain characters only: one word
            return None
        apps.append(name)
    if off.lengths and any(off.covers(tuple(w[1:])) for _, w in record.statements()):
        return None
    return tuple(apps) or ("any",)


def sections(found: list[Statement]) -> dict[str, list[Statement]]:
    """The root's statements (key "") and each logical system's or tenant's ("logical-systems
    L"), with that prefix taken off: each is a firewall of its own."""
    out: dict[str, list[Statement]] = {"": []}
    for st in found:
        w = st.words
        if w[0] in _SYSTEMS and len(w) >= 3:
            out.setdefault(f"{w[0]} {w[1]}", []).append(Statement(w[2:], st.line, st.verb))
        else:
            out[""].append(st)
    return out
