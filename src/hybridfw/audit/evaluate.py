"""First-match evaluation of a ruleset on address *sets*, never address by address.

One side of the audited packet is fixed (the on-premises address: the destination of an inbound
flow, the source of an outbound one) together with protocol and destination port; the other
side is a set. Walking the rules in order, each rule takes the part of the still-undecided set
it matches and decides it (accept, deny, jump into a chain, return, unknown). Sets are interval
lists, so a /8 costs the same as a /32 and the work per rule is linear in the number of
intervals, not addresses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from hybridfw.addresses import AddressSet, Family, Interval
from hybridfw.audit._intervals import Live, intersect, overlaps, put, split_off, take, union
from hybridfw.audit.dnat import Translation, single, translation
from hybridfw.audit.steps import PendingSteps, Step, Steps, Verdict, chain_steps, resolved
from hybridfw.audit.steps import Probe as Probe
from hybridfw.audit.steps import Side as Side
from hybridfw.rulesets.model import Action, Chain, Entry, Origin, Ruleset

MAX_REFINED_TAIL = 4096  # an undecidable rule is refined by the rest of its chain up to this long
MAX_DEPTH = 64  # netfilter refuses loops; a deeper call chain than this is treated as unknown
# Chain walks one entry may take (calls, refinements): a ruleset whose refinements or calls
# multiply past it (chains nested with undecidable rules at every level) is unknown, not walked
# for hours (tests/audit/test_audit_bounded.py).
MAX_WALKS = 1 << 16


@dataclass(frozen=True, slots=True)
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


def _applies(chain: Chain, family: Family) -> bool:
    return chain.family is None or chain.family == family


_LAST4 = (1 << 32) - 1
_LAST6 = (1 << 128) - 1


def _return(rest: Live, live: Live, pieces: tuple[Interval, ...] | None, last: int,
            out: Outcome, split: bool) -> Live:
    """A RETURN (all its conditions decided) met by a walk of the undecided set `live`: what it
    takes goes back to the caller, in `rest` (which is `live` until the first RETURN that takes
    most of it) or in `out.returned`. Returns the list the walk goes on with."""
    if live is rest:
        if pieces is None:
            return Live()  # everything left returns, and stays in `rest`
        # A negated source (`! -s NET -j RETURN`) takes nearly all: the walk goes on with the
        # few intervals in NET, the rest stays where it is (no copy of a fragmented set per
        # chain: benchmarks/audit.py --all-relevant).
        kept = split_off(rest, pieces, last) if split else None
        if kept is not None:
            return kept
        taken = take(rest, pieces)
        if taken:
            hit = tuple(taken)
            back = _canonical(hit, ()) if last == _LAST4 else _canonical((), hit)
            out.returned = union(out.returned, back)
        return rest
    if pieces is None:
        put(rest, live.pieces())
        return Live()
    taken = take(live, pieces)
    if taken:
        put(rest, tuple(taken))
    return live


class _TooManyWalks(Exception):
    """An entry's walk took more than MAX_WALKS chain walks."""


class Evaluator:
    """Evaluates one Ruleset; reusable across probes."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._step_cache: dict[tuple[str, Probe], Steps] = {}
        self._shape_verdicts: dict[Probe, dict[int, Verdict]] = {}
        self._walks = -1  # chain walks of the entry being run (-1: none runs)
        # HYBRIDFW_REFERENCE_WALK=1: the walk without its fast paths (the property tests'
        # reference, tests/audit/test_audit_walk_fast.py).
        self._fast = os.environ.get("HYBRIDFW_REFERENCE_WALK", "") != "1"
        self._calling: list[str] = []  # keys of the chains being walked, outermost first

    def run_entry(self, entry: Entry, probe: Probe, candidates: AddressSet, start: int = 0,
                  nat_done: bool = False) -> Outcome:
        """Pass `candidates` through every stage of `entry` (from stage `start`); accepted =
        survived all stages. A nat stage's DNAT sends its part on to the later stages with the
        new destination (`_follow`); after one, later nat stages are skipped (the kernel binds
        a connection's destination NAT once). An entry whose walk would take more than
        MAX_WALKS chain walks is unknown as a whole."""
        if self._walks >= 0:  # a later stage's walk (`_follow`, `_either_policy`)
            return self._run_entry(entry, probe, candidates, start, nat_done)
        self._walks = 0
        try:
            return self._run_entry(entry, probe, candidates, start, nat_done)
        except _TooManyWalks:
            alive = candidates.family(probe.family)
            why = (f"following its chain calls takes more than {MAX_WALKS} chain walks (chains "
                   "called many times over, at many levels): not evaluated")
            origin = Origin(entry.name, 0, "the chains this entry calls")
            return Outcome(unknown=[Decided(alive, origin, entry.name, why)] if alive else [])
        finally:
            self._walks = -1
            self._calling.clear()

    def _run_entry(self, entry: Entry, probe: Probe, candidates: AddressSet, start: int,
                   nat_done: bool) -> Outcome:
        total = Outcome()
        alive = candidates.family(probe.family)  # the walk assumes one family (see steps)
        alive_evidence: list[Decided] = []
        followed: list[Outcome] = []
        for index in range(start, len(entry.stages)):
            chain = self.ruleset.chains.get(entry.stages[index])
            if (chain is None or not _applies(chain, probe.family) or not alive
                    or (chain.nat and nat_done)):
                continue
            self._calling.append(chain.key)
            stage = self.run_chain(chain, probe, alive, depth=0)
            self._calling.pop()
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

    def forget_steps(self) -> None:
        """Drop the steps and verdicts made so far (call when their probes are done): kept to
        the end of the audit they were the walk's largest growth (benchmarks/audit.py
        --all-relevant, peak RSS -7 MiB)."""
        self._step_cache.clear()
        self._shape_verdicts.clear()

    def steps(self, chain: Chain, probe: Probe) -> list[Step]:
        """The rules of `chain` that can match a packet like `probe` at all (protocol, port, new
        connection, the fixed on-premises address), each with its condition on the varying
        side (None: any address)."""
        steps = self._steps(chain, probe)
        return [resolved(steps, index, probe.family) for index in range(len(steps))]

    def _steps(self, chain: Chain, probe: Probe) -> Steps:
        """`steps`, computed once per chain and probe: a 100k-rule ruleset is walked many times
        (every flow, port, on-premises address and entry). Rules a parser keeps unbuilt
        (`LazyRules`) are never built: a step takes their `parts`, for an inbound probe only
        when a walk reaches it (`_resolved`)."""
        key = (chain.key, probe)
        steps = self._step_cache.get(key)
        if steps is not None:
            return steps
        steps = chain_steps(chain, probe, self._shape_verdicts.setdefault(probe, {}))
        self._step_cache[key] = steps
        return steps

    def run_chain(self, chain: Chain, probe: Probe, candidates: AddressSet, depth: int,
                  start: int = 0, precise: bool = True) -> Outcome:
        """First-match walk of one chain (from step `start`). `returned` = what fell off the
        end or hit RETURN.

        The undecided set (one address family: the probe's) is changed in place."""
        v4 = probe.family == 4
        rest = Live(candidates.v4 if v4 else candidates.v6)
        out = self._walk(chain, probe, rest, depth, start, precise)
        if rest.starts:
            pieces = rest.pieces()
            left = _canonical(pieces, ()) if v4 else _canonical((), pieces)
            out.returned = union(out.returned, left) if out.returned else left
        return out

    def _walk(self, chain: Chain, probe: Probe, rest: Live, depth: int, start: int,
              precise: bool) -> Outcome:
        """`run_chain` on `rest`, the undecided set, changed in place: what is left in it at
        the end fell off the end of the chain or hit RETURN (`returned` may hold more of that:
        callers take both as returned)."""
        self._walks += 1
        if self._walks > MAX_WALKS:
            raise _TooManyWalks
        out = Outcome()
        v4 = probe.family == 4
        steps = self._steps(chain, probe)
        family = probe.family
        pending = steps if isinstance(steps, PendingSteps) else None
        last = _LAST4 if v4 else _LAST6
        live = rest  # the undecided set walked on (a new one once a RETURN took most of it)
        for index in range(start, len(steps)):
            if not live.starts:
                break
            if pending is not None:
                # A step is made only when it takes some: benchmarks/audit.py --all-relevant.
                pieces = pending.pieces(index, family)
                returns = pending.returns(index)
            else:
                step = resolved(steps, index, family)
                varying = step.varying
                pieces = None if varying is None else (varying.v4 if v4 else varying.v6)
                returns = step.action == Action.RETURN and step.unknown is None
            if returns:
                live = _return(rest, live, pieces, last, out, self._fast)
                continue
            if pieces is None:
                step = resolved(steps, index, family)
                if (step.unknown is None and step.action == Action.JUMP
                        and (target := self._callee(step, depth)) is not None):
                    # A jump for every address hands the undecided list on as it is, no copy of
                    # a fragmented set per chain: benchmarks/audit.py --all-relevant audit CPU
                    # 1.60 -> 1.33 s.
                    self._calling.append(target.key)
                    sub = self._walk(target, probe, live, depth + 1, 0, True)
                    self._calling.pop()
                    if sub.returned:
                        put(live, sub.returned.v4 if v4 else sub.returned.v6)
                        sub.returned = _EMPTY
                    out.absorb(sub)
                    continue
                taken = live.pieces()
                live.clear()  # maybe the caller's set: emptied in place
            else:
                taken = tuple(take(live, pieces))
                if not taken:
                    continue
                step = resolved(steps, index, family)
            hit = _canonical(taken, ()) if v4 else _canonical((), taken)
            unknown = step.unknown
            if unknown is not None:
                if (precise and step.action == Action.JUMP
                        and self._passes_through(step, probe, hit, depth)):
                    put(live, taken)  # the chain it may call decides nothing for these
                    continue
                undecided = Decided(hit, step.origin, chain.display,
                                    f"cannot evaluate: {unknown.text}", unknown.needs_names)
                if precise and step.action.terminal and len(steps) - index <= MAX_REFINED_TAIL:
                    self._either_way(chain, probe, index, undecided, step.action, depth, out)
                else:
                    out.unknown.append(undecided)
                continue
            back = self._decide(step, chain, probe, hit, depth, out)
            if back:
                put(live, back.v4 if v4 else back.v6)
        if live is not rest and live.starts:
            put(rest, live.pieces())  # fell off the end
        return out

    def _callee(self, step: Step, depth: int) -> Chain | None:
        """The chain a jump calls, None when it is missing, one being walked already (a loop:
        walked again it would loop to MAX_DEPTH, refinements at every level) or the calls
        nest too deep."""
        target = self.ruleset.chains.get(step.target)
        if target is None or depth >= MAX_DEPTH or target.key in self._calling:
            return None
        return target

    def _passes_through(self, step: Step, probe: Probe, hit: AddressSet, depth: int) -> bool:
        """A jump whose conditions cannot be decided changes nothing when the chain it calls
        returns every address of `hit` undecided (no verdict, no translation, nothing unknown):
        called or not, the walk goes on after it. Walked once, without nesting, for chains of
        up to MAX_REFINED_TAIL rules that can match the probe."""
        target = self._callee(step, depth)
        if target is None or len(self._steps(target, probe)) > MAX_REFINED_TAIL:
            return False
        self._calling.append(target.key)
        sub = self.run_chain(target, probe, hit, depth + 1, precise=False)
        self._calling.pop()
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
        if other or rest.unknown:
            # One entry for all of them: one per part doubled the list at every nesting level
            # (40 nested chains with an undecidable rule each ran out of memory).
            parts = AddressSet.union_all([d.addresses for d in (*other, *rest.unknown)])
            out.unknown.append(Decided(parts, undecided.origin, undecided.chain,
                                       undecided.reason, undecided.needs_names))
        if rest.unknown:  # the later undecidable rules are evidence too
            out.unknown += rest.unknown

    def _decide(self, step: Step, chain: Chain, probe: Probe, hit: AddressSet, depth: int,
                out: Outcome) -> AddressSet:
        """Record what `step` (whose conditions are all decided) does with `hit`; returns the
        part that continues in this chain."""
        action = step.action
        if action == Action.ACCEPT:
            out.accepted.append(Decided(hit, step.origin, chain.display))
        elif action.denies:
            out.denied.append(Decided(hit, step.origin, chain.display, chain_key=chain.key))
        elif action == Action.RETURN:
            out.returned = union(out.returned, hit)
        elif action in (Action.JUMP, Action.GOTO):
            return self._call(step, chain, probe, hit, depth, out)
        elif action == Action.DNAT:
            out.translated.append((Decided(hit, step.origin, chain.display, "DNAT"), step.target))
        elif step.label.upper() == "REDIRECT":
            out.unknown.append(Decided(hit, step.origin, chain.display, _REDIRECTED))
        else:
            out.unknown.append(Decided(hit, step.origin, chain.display,
                                       f"verdict {step.label or action.value} not evaluated"))
        return _EMPTY

    def _call(self, step: Step, chain: Chain, probe: Probe, hit: AddressSet, depth: int,
              out: Outcome) -> AddressSet:
        target = self._callee(step, depth)
        if target is None:
            out.unknown.append(Decided(hit, step.origin, chain.display, self._uncalled(step, depth)))
            return _EMPTY
        self._calling.append(target.key)
        sub = self.run_chain(target, probe, hit, depth + 1)
        self._calling.pop()
        out.absorb(sub)
        if step.action == Action.GOTO:
            out.returned = union(out.returned, sub.returned)
            return _EMPTY
        return sub.returned

    def _uncalled(self, step: Step, depth: int) -> str:
        """Why `_callee` calls no chain for `step`."""
        if depth >= MAX_DEPTH:
            return "chain calls nested too deep"
        target = self.ruleset.chains.get(step.target)
        if target is None:
            return "jump target missing"
        return (f"chain loop: {target.display} is called while it is being walked (the kernel "
                "refuses a ruleset with a loop)")
