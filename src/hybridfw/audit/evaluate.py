"""First-match evaluation of a ruleset on address *sets*, never address by address.

One side of the audited packet is fixed (the on-premises address: the destination of an inbound
flow, the source of an outbound one) together with protocol and destination port; the other
side is a set. Walking the rules in order, each rule takes the part of the still-undecided set
it matches and decides it (accept, deny, jump into a chain, return, unknown). Sets are interval
lists, so a /8 costs the same as a /32 and the work per rule is linear in the number of
intervals, not addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from hybridfw.addresses import AddressSet, Family
from hybridfw.audit._intervals import intersect, overlaps, put, take, union
from hybridfw.audit.dnat import Translation, single, translation
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import Action, Chain, Entry, InterfaceMatch, Origin, Rule, Ruleset

MAX_REFINED_TAIL = 4096  # an undecidable rule is refined by the rest of its chain up to this long
MAX_DEPTH = 64  # netfilter refuses loops; a deeper call chain than this is treated as unknown
Side = Literal["source", "destination"]


@dataclass(frozen=True)
class Probe:
    """The packet being audited, minus the side that varies."""

    fixed_side: Side  # which side of the packet is the single address `fixed`
    fixed: int
    family: Family
    port: int
    protocol: str = "tcp"
    in_interface: str | None = None  # the interface it arrives on, if the audit was told
    out_interface: str | None = None  # the interface it leaves by (routed traffic)


@dataclass(frozen=True)
class Decided:
    """A part of the varying set and the rule (or policy) that decided it."""

    addresses: AddressSet
    origin: Origin
    chain: str  # display name of the chain holding the rule
    reason: str = ""  # for unknown: the undecidable conditions
    needs_names: bool = False  # for unknown: interface matches decide it, names not given
    chain_key: str = ""  # for a denial: the chain whose rule or policy decided (for fixes)
    # Decided after a DNAT: the nat rule, the new destination and port (a fix goes there).
    translated: Translation | None = None


@dataclass
class Outcome:
    """What one stage or a whole entry did with the varying set."""

    accepted: list[Decided] = field(default_factory=list)
    denied: list[Decided] = field(default_factory=list)
    unknown: list[Decided] = field(default_factory=list)
    returned: AddressSet = field(default_factory=AddressSet.empty)
    # DNAT rules hit (each with the target as written): followed when a nat stage did it.
    translated: list[tuple[Decided, str]] = field(default_factory=list)

    def accepted_set(self) -> AddressSet:
        return AddressSet.union_all(d.addresses for d in self.accepted)

    def unknown_set(self) -> AddressSet:
        return AddressSet.union_all(d.addresses for d in self.unknown)

    def absorb(self, other: Outcome) -> None:
        self.accepted += other.accepted
        self.denied += other.denied
        self.unknown += other.unknown
        self.translated += other.translated


_EMPTY = AddressSet.empty()
# iptables-legacy-restore and --noflush keep the live policy, iptables-nft-restore (1.8.9)
# sets ACCEPT: checked in a namespace (tests/audit/test_audit_undeclared.py).
_POLICY_NOT_GIVEN = ("chain policy not given in the file: iptables-legacy-restore and --noflush "
                     "keep the live one, iptables-nft-restore sets ACCEPT")
_REDIRECTED = ("redirected to the firewall itself (a local service takes the connection, the "
               "server behind it does not): not followed")
_canonical = AddressSet.from_canonical


# One rule as the chain walk sees it for one probe: the rule (its fixed side holds the probe's
# address), its condition on the varying side (None: any address), and the conditions it has
# that cannot be decided for this probe, as written ("" if none: then the rule is decided).
_Step = tuple[Rule, "AddressSet | None", "Undecided | None"]


@dataclass(frozen=True, slots=True)
class Undecided:
    """The conditions of a rule the audit cannot decide for a probe, as written."""

    text: str
    needs_names: bool  # some are interface matches whose names the audit was not given


def _verdict(rule: Rule, probe: Probe) -> tuple[bool, Undecided | None]:
    """Whether `rule` can match `probe`'s packet on everything but the varying address and, for
    an outbound probe, its own source; and if so, what of it cannot be decided (None: all)."""
    m = rule.match
    if (rule.action == Action.CONTINUE or m.never or not m.matches_protocol(probe.protocol)
            or not m.matches_port(probe.port)):
        return False, None
    if probe.fixed_side == "destination" and not m.destinations.contains_address(
            probe.fixed, probe.family):
        return False, None
    names: tuple[str, ...] = ()
    if m.interfaces:
        unnamed = _interface_verdicts(m.interfaces, probe)
        if unnamed is None:
            return False, None  # an interface condition is false for this packet
        names = unnamed
    if not m.undecidable and not names:
        return True, None
    return True, Undecided(", ".join(m.undecidable + names), bool(names))


def _interface_verdicts(conditions: tuple[InterfaceMatch, ...],
                        probe: Probe) -> tuple[str, ...] | None:
    """None if an interface condition is false for `probe`; else those it cannot decide (the
    audit was not told that interface's name)."""
    unknown: list[str] = []
    for condition in conditions:
        name = probe.in_interface if condition.way == "in" else probe.out_interface
        if name is None:
            unknown.append(condition.text)
        elif not condition.holds(name):
            return None
    return tuple(unknown)


def _applies(chain: Chain, family: Family) -> bool:
    return chain.family is None or chain.family == family


class Evaluator:
    """Evaluates one Ruleset; reusable across probes."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._step_cache: dict[tuple[str, Probe], list[_Step]] = {}
        self._shape_verdicts: dict[Probe, dict[int, tuple[bool, Undecided | None]]] = {}

    def run_entry(self, entry: Entry, probe: Probe, candidates: AddressSet, start: int = 0,
                  nat_done: bool = False) -> Outcome:
        """Pass `candidates` through every stage of `entry` (from stage `start`); accepted =
        survived all stages. A nat stage's DNAT sends its part on to the later stages with the
        new destination (`_follow`); after one, later nat stages are skipped (the kernel binds
        a connection's destination NAT once)."""
        total = Outcome()
        alive = candidates.family(probe.family)  # the walk assumes one family (see steps)
        alive_evidence: list[Decided] = []
        followed: list[Outcome] = []
        for index in range(start, len(entry.stages)):
            chain = self.ruleset.chains.get(entry.stages[index])
            if (chain is None or not _applies(chain, probe.family) or not alive
                    or (chain.nat and nat_done)):
                continue
            stage = self.run_chain(chain, probe, alive, depth=0)
            self._apply_policy(chain, stage)
            total.denied += stage.denied
            total.unknown += [d for d in stage.unknown if d.reason is not _POLICY_NOT_GIVEN]
            for part in (d for d in stage.unknown if d.reason is _POLICY_NOT_GIVEN):
                followed.append(self._either_policy(entry, index + 1, probe, part, nat_done))
            alive = stage.accepted_set()
            if chain.nat:  # its accepts only say "not translated"
                followed += [self._follow(entry, index + 1, probe, d, target)
                             for d, target in stage.translated]
                alive_evidence = [d for d in alive_evidence if overlaps(d.addresses, alive)]
                continue
            total.unknown += [replace(d, reason="DNAT outside a nat chain: not evaluated")
                              for d, _ in stage.translated]
            # Keep the accept evidence of the latest stage that decided explicitly.
            explicit = [d for d in stage.accepted if d.origin.line > 0]
            if explicit:
                alive_evidence = explicit
            else:
                alive_evidence = [d for d in alive_evidence if overlaps(d.addresses, alive)]
                alive_evidence = alive_evidence or stage.accepted
        total.accepted = [Decided(intersect(alive, d.addresses), d.origin, d.chain, d.reason)
                          for d in alive_evidence if overlaps(d.addresses, alive)]
        if alive and not total.accepted:
            # No stage applied at all: nothing filters this traffic.
            total.accepted = [Decided(alive, Origin(entry.name, 0, "no chain filters this"), entry.name,
                                      "policy")]
        for one in followed:
            total.accepted += one.accepted
            total.denied += one.denied
            total.unknown += one.unknown
        return total

    def _either_policy(self, entry: Entry, start: int, probe: Probe, part: Decided,
                       nat_done: bool) -> Outcome:
        """`part` met a stage's policy the file does not give: the live one drops it or passes
        it on. What the later stages deny is denied either way; the rest stays unknown."""
        if start >= len(entry.stages):
            return Outcome(unknown=[part])
        rest = self.run_entry(entry, probe, part.addresses, start, nat_done)
        passed = AddressSet.union_all([rest.accepted_set(), rest.unknown_set()])
        unknown = [replace(part, addresses=passed)] if passed else []
        return Outcome(denied=rest.denied, unknown=unknown + rest.unknown)

    def _follow(self, entry: Entry, start: int, probe: Probe, dnat: Decided,
                target: str) -> Outcome:
        """The part `dnat` translated, through the stages after the nat one with its new
        destination. An inbound probe's fixed destination becomes the new one; an outbound
        probe's varying destinations all become that one address, so its verdict is theirs.
        A target hybridfw cannot follow (a range, a map, another family) is unknown."""
        found = translation(target, probe.family, probe.port, dnat.origin)
        if isinstance(found, str):
            return Outcome(unknown=[replace(dnat, reason=found)])
        new_port = found.port
        if probe.fixed_side == "destination":
            moved = replace(probe, fixed=found.address, port=new_port)
            sub = self.run_entry(entry, moved, dnat.addresses, start, nat_done=True)
        else:
            one = single(probe.family, found.address)
            sub = self.run_entry(entry, replace(probe, port=new_port), one, start, nat_done=True)
            for part in (sub.accepted, sub.denied, sub.unknown):
                part[:] = [replace(d, addresses=dnat.addresses) for d in part]
        for part in (sub.accepted, sub.denied, sub.unknown):
            part[:] = [d if d.translated else replace(d, translated=found) for d in part]
        return sub

    @staticmethod
    def _apply_policy(chain: Chain, stage: Outcome) -> None:
        rest = stage.returned
        stage.returned = AddressSet.empty()
        if not rest:
            return
        origin = chain.policy_origin or Origin(chain.key, 0, f"policy of {chain.display}")
        decided = Decided(rest, origin, chain.display, "policy", chain_key=chain.key)
        if chain.policy is None or chain.policy == Action.ACCEPT:
            stage.accepted.append(decided)
        elif chain.policy.denies:
            stage.denied.append(decided)
        else:
            stage.unknown.append(Decided(rest, origin, chain.display, _POLICY_NOT_GIVEN))

    def steps(self, chain: Chain, probe: Probe) -> list[_Step]:
        """The rules of `chain` that can match a packet like `probe` at all (protocol, port, new
        connection, the fixed on-premises address), each with its condition on the varying
        side (None: any address). Computed once per chain and probe: a 100k-rule ruleset is
        walked many times (every flow, port, on-premises address and entry). Rules a parser
        keeps unbuilt (`LazyRules`) are built only when they pass."""
        key = (chain.key, probe)
        steps = self._step_cache.get(key)
        if steps is not None:
            return steps
        steps = []
        family, point = probe.family, probe.fixed
        by_destination = probe.fixed_side == "destination"
        rules = chain.rules
        lazy = rules if isinstance(rules, LazyRules) and not rules.built else None
        views = (lazy.previews(sources_matter=not by_destination) if lazy is not None
                 else ((i, r, True, False) for i, r in enumerate(rules)))
        # Records of one shape share their conditions: judge each shape once per probe.
        shapes = self._shape_verdicts.setdefault(probe, {})
        for index, seen, sources_may_match, shared in views:
            if shared:
                verdict = shapes.get(id(seen))
                if verdict is None:
                    verdict = shapes[id(seen)] = _verdict(seen, probe)
            else:
                verdict = _verdict(seen, probe)
            can_match, unknown = verdict
            if not can_match or not (by_destination or sources_may_match):
                continue
            rule = lazy.rule(index) if lazy is not None else seen
            m = rule.match
            if by_destination:
                varying = m.sources
            else:
                if not m.sources.contains_address(point, family):
                    continue
                varying = m.destinations
            steps.append((rule, None if varying.covers(family) else varying, unknown))
        self._step_cache[key] = steps
        return steps

    def run_chain(self, chain: Chain, probe: Probe, candidates: AddressSet, depth: int,
                  start: int = 0, precise: bool = True) -> Outcome:
        """First-match walk of one chain (from step `start`). `returned` = what fell off the
        end or hit RETURN.

        The undecided set (one address family: the probe's) is a list changed in place."""
        out = Outcome()
        v4 = probe.family == 4
        rest = list(candidates.v4 if v4 else candidates.v6)
        steps = self.steps(chain, probe)
        for index in range(start, len(steps)):
            rule, varying, unknown = steps[index]
            if not rest:
                break
            if varying is None:
                taken, rest = rest, []
            else:
                taken = take(rest, varying.v4 if v4 else varying.v6)
                if not taken:
                    continue
            hit = _canonical(tuple(taken), ()) if v4 else _canonical((), tuple(taken))
            if unknown is not None:
                if (precise and rule.action == Action.JUMP
                        and self._passes_through(rule, probe, hit, depth)):
                    put(rest, tuple(taken))  # the chain it may call decides nothing for these
                    continue
                undecided = Decided(hit, rule.origin, chain.display,
                                    f"cannot evaluate: {unknown.text}", unknown.needs_names)
                if precise and rule.action.terminal and len(steps) - index <= MAX_REFINED_TAIL:
                    self._either_way(chain, probe, index, undecided, rule.action, depth, out)
                else:
                    out.unknown.append(undecided)
                continue
            back = self._decide(rule, chain, probe, hit, depth, out)
            if back:
                put(rest, back.v4 if v4 else back.v6)
        if rest:
            left = _canonical(tuple(rest), ()) if v4 else _canonical((), tuple(rest))
            out.returned = union(out.returned, left) if out.returned else left
        return out

    def _passes_through(self, rule: Rule, probe: Probe, hit: AddressSet, depth: int) -> bool:
        """A jump whose conditions cannot be decided changes nothing when the chain it calls
        returns every address of `hit` undecided (no verdict, no translation, nothing unknown):
        called or not, the walk goes on after it. Walked once, without nesting, for chains of
        up to MAX_REFINED_TAIL rules that can match the probe."""
        target = self.ruleset.chains.get(rule.target)
        if (target is None or depth >= MAX_DEPTH
                or len(self.steps(target, probe)) > MAX_REFINED_TAIL):
            return False
        sub = self.run_chain(target, probe, hit, depth + 1, precise=False)
        return not (sub.accepted or sub.denied or sub.unknown or sub.translated) and \
            sub.returned == hit

    def _either_way(self, chain: Chain, probe: Probe, index: int, undecided: Decided,
                    action: Action, depth: int, out: Outcome) -> None:
        """A rule whose conditions cannot be decided either matches (its verdict) or not (the
        rest of the chain decides). Where the rest gives the same verdict, the rule decides
        nothing: an unknown ACCEPT followed by a definite ACCEPT is accepted, an unknown DROP
        followed by a DROP (or a base chain's DROP policy) is denied. Elsewhere: unknown. The
        rest is walked once, without this refinement (no nesting)."""
        hit = undecided.addresses
        rest = self.run_chain(chain, probe, hit, depth, index + 1, precise=False)
        accepts = action == Action.ACCEPT
        same, other = (rest.accepted, rest.denied) if accepts else (rest.denied, rest.accepted)
        agreed = [Decided(d.addresses, d.origin, d.chain, d.reason, chain_key=d.chain_key)
                  for d in same]
        if rest.returned and chain.policy is not None and (
                chain.policy == action or (chain.policy.denies and action.denies)):
            origin = chain.policy_origin or Origin(chain.key, 0, f"policy of {chain.display}")
            agreed.append(Decided(rest.returned, origin, chain.display, "policy",
                                  chain_key=chain.key))
        elif rest.returned:
            other = [*other, Decided(rest.returned, undecided.origin, chain.display)]
        (out.accepted if accepts else out.denied).extend(agreed)
        for part in (*other, *rest.unknown):
            out.unknown.append(Decided(part.addresses, undecided.origin, undecided.chain,
                                       undecided.reason, undecided.needs_names))
        if rest.unknown:  # the later undecidable rules are evidence too
            out.unknown += rest.unknown

    def _decide(self, rule: Rule, chain: Chain, probe: Probe, hit: AddressSet, depth: int,
                out: Outcome) -> AddressSet:
        """Record what `rule` (whose conditions are all decided) does with `hit`; returns the
        part that continues in this chain."""
        action = rule.action
        if action == Action.ACCEPT:
            out.accepted.append(Decided(hit, rule.origin, chain.display))
        elif action.denies:
            out.denied.append(Decided(hit, rule.origin, chain.display, chain_key=chain.key))
        elif action == Action.RETURN:
            out.returned = union(out.returned, hit)
        elif action in (Action.JUMP, Action.GOTO):
            return self._call(rule, chain, probe, hit, depth, out)
        elif action == Action.DNAT:
            out.translated.append((Decided(hit, rule.origin, chain.display, "DNAT"), rule.target))
        elif rule.label.upper() == "REDIRECT":
            out.unknown.append(Decided(hit, rule.origin, chain.display, _REDIRECTED))
        else:
            out.unknown.append(Decided(hit, rule.origin, chain.display,
                                       f"verdict {rule.label or action.value} not evaluated"))
        return _EMPTY

    def _call(self, rule: Rule, chain: Chain, probe: Probe, hit: AddressSet, depth: int,
              out: Outcome) -> AddressSet:
        target = self.ruleset.chains.get(rule.target)
        if target is None or depth >= MAX_DEPTH:
            why = "jump target missing" if target is None else "chain calls nested too deep"
            out.unknown.append(Decided(hit, rule.origin, chain.display, why))
            return _EMPTY
        sub = self.run_chain(target, probe, hit, depth + 1)
        out.absorb(sub)
        if rule.action == Action.GOTO:
            out.returned = union(out.returned, sub.returned)
            return _EMPTY
        return sub.returned
