"""FortiGate (FortiOS 6.x–7.x) ``show full-configuration`` or backup ``.conf``.

Every VDOM's ``config firewall policy`` (and the older ``policy6``) is read in table order, which
is the order FortiOS evaluates it in (the policy ID is only a name). Entries are interface
pairs: one per pair of the interfaces named in the policies, both ways (``any`` matches every
interface), each ending in the implicit deny. Which pair a packet takes depends on routing,
which hybridfw does not know, so the audit reports the pairs whose policies decide the flow.

A policy matches IPv4 traffic through ``srcaddr``/``dstaddr`` and IPv6 traffic through
``srcaddr6``/``dstaddr6`` (in a ``policy6`` table: ``srcaddr``/``dstaddr``); ``-negate``
options, ``service`` (``service-negate`` is unknown), ``action accept|deny`` (deny when not
set; ``ipsec`` is unknown), ``status disable`` (skipped, reported). Unknown, naming what:
schedules other than ``always``, users and groups, ZTNA, Internet Service (ISDB) sources and
destinations, and FQDN / geography / dynamic addresses (see `_fortigate_objects`). A deny policy
without ``match-vip enable`` does not match traffic a VIP translates: the VIPs' external
addresses are left out of it, their mapped addresses are unknown to it. In policy-based NGFW
mode, ``config firewall security-policy`` also decides; it is not read, so accepting policies
are unknown there.
"""

from __future__ import annotations

from hybridfw.addresses import AddressSet, Family, is_ip_address
from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets import _detect
from hybridfw.rulesets._fortigate_objects import Objects
from hybridfw.rulesets._fortios_tree import Block, Entry, Field, find_blocks, parse_tree
from hybridfw.rulesets._vendor_util import Fuzzy, Service, admitted, expand_rule, info, parse_logged, warning
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Match, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.model import Entry as RuleEntry
from hybridfw.rulesets.scope import Scope

MAX_PAIRS = 400
_OBJECT_TABLES = ("firewall address", "firewall address6", "firewall multicast-address",
                  "firewall addrgrp", "firewall addrgrp6", "firewall vip", "firewall vip6",
                  "firewall vip46", "firewall vip64", "firewall vipgrp", "firewall vipgrp6",
                  "firewall service custom", "firewall service group")
_POLICY_TABLES = ("firewall policy", "firewall policy6")
_INTERFACES = ("srcintf", "dstintf")
_ACTIONS = {"accept": Action.ACCEPT, "deny": Action.DROP}
_IDENTITY = ("users", "groups", "fsso-groups")
_ISDB = ("name", "id", "group", "custom", "custom-group")


def _side(policy: Entry, objects: Objects, key: str, family: Family, negate: str) -> Fuzzy | None:
    names = policy.values(key)
    if not names:
        return None
    found = Fuzzy.union([objects.address(n, policy.line, family) for n in names])
    if policy.one(negate) == "enable":
        found = found.negated().restricted(AddressSet.any(family))
    return found


def _isdb(policy: Entry, prefix: str) -> Fuzzy | None:
    if policy.one(prefix) != "enable":
        return None
    names = [v for kind in _ISDB for v in policy.values(f"{prefix}-{kind}")]
    return Fuzzy.unknown(f"{prefix} {' '.join(names) or '(unnamed)'}")


_ADDRESS_FIELDS = ("srcaddr", "dstaddr", "srcaddr6", "dstaddr6", "srcaddr-negate", "dstaddr-negate",
                   "srcaddr6-negate", "dstaddr6-negate", "internet-service", "internet-service-src",
                   *(f"{p}-{k}" for p in ("internet-service", "internet-service-src") for k in _ISDB))


def _addresses(policy: Entry, objects: Objects, v6_table: bool) -> tuple[Fuzzy, Fuzzy]:
    """Sources and destinations over both families (a family counts only if both sides do).
    Policies repeat the same fields: computed once per combination."""
    key = (v6_table, policy.texts(_ADDRESS_FIELDS))  # raw texts as the key: full parse -25 % CPU
    found = objects.policy_addresses.get(key)
    if found is None:
        found = objects.policy_addresses[key] = _compute_addresses(policy, objects, v6_table)
    return found


def _compute_addresses(policy: Entry, objects: Objects, v6_table: bool) -> tuple[Fuzzy, Fuzzy]:
    sources, destinations = Fuzzy(AddressSet.empty()), Fuzzy(AddressSet.empty())
    sides = [(6, "srcaddr", "dstaddr")] if v6_table else [(4, "srcaddr", "dstaddr"),
                                                           (6, "srcaddr6", "dstaddr6")]
    src_isdb, dst_isdb = _isdb(policy, "internet-service-src"), _isdb(policy, "internet-service")
    for family, src_key, dst_key in sides:
        fam: Family = 4 if family == 4 else 6
        src = src_isdb or _side(policy, objects, src_key, fam, f"{src_key}-negate")
        dst = dst_isdb or _side(policy, objects, dst_key, fam, f"{dst_key}-negate")
        if src is not None and dst is not None:
            sources = sources | src.restricted(AddressSet.any(fam))
            destinations = destinations | dst.restricted(AddressSet.any(fam))
    return sources, destinations


def _skip_vips(destinations: Fuzzy, objects: Objects, policy: Entry) -> Fuzzy:
    """A deny policy without match-vip does not see traffic a VIP translated."""
    external, mapped = objects.vip_external, objects.vip_mapped
    if not (external or mapped) or policy.one("match-vip") == "enable":
        return destinations
    reason = f"deny policy {policy.name} without match-vip: traffic a VIP translates skips it"
    sure = destinations.sure - external - mapped
    maybe = ((destinations.maybe | (destinations.sure & mapped)) - external)
    return Fuzzy(sure, maybe, destinations.reasons + ((reason,) if maybe else ()))


_ADMISSION_FIELDS = ("internet-service", "service-negate", "service")
_CONDITION_FIELDS = ("users", "groups", "fsso-groups", "schedule", "ztna-status")


def _conditions(policy: Entry, objects: Objects, ngfw_policy_mode: bool, action: Action) -> tuple[str, ...]:
    """What makes the policy's verdict unknown; once per distinct text of the fields (and mode)."""
    # Once per distinct text (with _services'): audit_vendor.py fortigate full parse -6 % instructions
    key = (ngfw_policy_mode and action == Action.ACCEPT, policy.texts(_CONDITION_FIELDS))
    found = objects.policy_conditions.get(key)
    if found is None:
        found = objects.policy_conditions[key] = _compute_conditions(policy, ngfw_policy_mode, action)
    return found


def _compute_conditions(policy: Entry, ngfw_policy_mode: bool, action: Action) -> tuple[str, ...]:
    why = [f"{key} {' '.join(policy.values(key))}" for key in _IDENTITY if policy.values(key)]
    schedule = policy.one("schedule", "always")
    if schedule != "always":
        why.append(f"schedule {schedule}")
    if policy.one("ztna-status") == "enable":
        why.append("ZTNA")
    if ngfw_policy_mode and action == Action.ACCEPT:
        why.append("policy-based NGFW mode: the security policies (not read) also decide")
    return tuple(why)


def _services(policy: Entry, objects: Objects) -> list[Service]:
    """The policy's services; once per distinct text of the fields that decide them (the first
    policy of each resolves the names, in order, so any error is raised there)."""
    key = policy.texts(_ADMISSION_FIELDS)
    found = objects.policy_services.get(key)
    if found is None:
        found = objects.policy_services[key] = _compute_services(policy, objects)
    return found


def _compute_services(policy: Entry, objects: Objects) -> list[Service]:
    if policy.one("internet-service") == "enable":
        return [Service()]  # the Internet Service names the ports too (unknown above)
    if policy.one("service-negate") == "enable":
        return [Service(None, None, ("service-negate",))]
    return [s for n in policy.values("service") for s in objects.service(n, policy.line)]


class _Admission:
    """Whether an audited packet can match a policy's services, per distinct text of the
    fields that decide it (the names' services resolved in the same order as the full parse,
    so their errors are the same)."""

    def __init__(self, scope: Scope, objects: Objects) -> None:
        self.scope, self.objects = scope, objects
        self._names: dict[str, bool] = {}
        self._texts: dict[tuple[object, ...], bool] = {}

    def admits(self, policy: Entry) -> bool:
        key = policy.texts(_ADMISSION_FIELDS)
        found = self._texts.get(key)
        if found is None:
            found = self._texts[key] = self._admits(policy)
        return found

    def _admits(self, policy: Entry) -> bool:
        if policy.one("internet-service") == "enable" or policy.one("service-negate") == "enable":
            return True  # any port: kept
        for name in policy.values("service"):
            found = self._names.get(name)
            if found is None:
                found = self._names[name] = admitted(self.scope, self.objects.service(name, policy.line))
            if found:
                return True
        return False


def compile_policy(policy: Entry, objects: Objects, path: str, v6_table: bool,
                   ngfw_policy_mode: bool) -> list[Rule]:
    action = _ACTIONS.get(policy.one("action", "deny"), Action.UNKNOWN)
    sources, destinations = _addresses(policy, objects, v6_table)
    if action.denies:
        destinations = _skip_vips(destinations, objects, policy)
    services = _services(policy, objects)
    name = policy.one("name")
    text = f"edit {policy.name}" + (f' (name "{name}")' if name else "")
    origin = Origin(path, policy.line, text)
    return expand_rule(sources, destinations, services, action, origin,
                       _conditions(policy, objects, ngfw_policy_mode, action))


class _Vdom:
    def __init__(self) -> None:
        self.objects: dict[str, list[Block]] = {}
        self.policies: list[tuple[Entry, bool]] = []  # (policy, from a policy6 table)
        self.ngfw_policy_mode = False
        self.local_in: list[tuple[Entry, bool]] = []  # (policy, from a local-in-policy6 table)


def _vdoms(root: Entry) -> dict[str, _Vdom]:
    vdoms: dict[str, _Vdom] = {}
    blocks = find_blocks(root)
    for table in _OBJECT_TABLES:
        for vdom, block in blocks.get(table, ()):
            vdoms.setdefault(vdom, _Vdom()).objects.setdefault(table, []).append(block)
    for table in _POLICY_TABLES:
        for vdom, block in blocks.get(table, ()):
            vdoms.setdefault(vdom, _Vdom()).policies += [(p, table.endswith("6")) for p in block.entries]
    for table in ("firewall local-in-policy", "firewall local-in-policy6"):
        for vdom, block in blocks.get(table, ()):
            vdoms.setdefault(vdom, _Vdom()).local_in += [(p, table.endswith("6")) for p in block.entries]
    for vdom, block in blocks.get("firewall security-policy", ()):
        if block.entries:
            vdoms.setdefault(vdom, _Vdom()).ngfw_policy_mode = True
    return vdoms


def _pairs(policies: list[Entry]) -> list[tuple[str, str]]:
    """Every pair of the interfaces (and zones) the policies name, both ways, as the PAN-OS
    reader does with zones: a flow in the other direction than the policies are written for
    gets its own entry (ending in the implicit deny) instead of borrowing theirs."""
    # One policy per distinct srcintf/dstintf text: audit_vendor.py fortigate scoped parse -15 % CPU
    distinct = list({p.texts(_INTERFACES): p for p in policies}.values())
    names = sorted({i for p in distinct for key in _INTERFACES for i in p.values(key) if i != "any"})
    if not names:
        return [("any", "any")]
    if len(names) ** 2 <= MAX_PAIRS:
        return [(a, b) for a in names for b in names]
    return sorted({(a, b) for p in distinct for a in p.values("srcintf") for b in p.values("dstintf")})


def _by_pair(active: list[tuple[Entry, list[Rule]]],
             pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[Rule]]:
    """The rules of each interface pair, in table order; one pass over the policies."""
    by_pair: dict[tuple[str, str], list[Rule]] = {pair: [] for pair in pairs}
    sources, targets = {a for a, _ in pairs}, {b for _, b in pairs}
    for policy, rules in active:
        srcintf, dstintf = policy.values("srcintf"), policy.values("dstintf")
        for a in sources if "any" in srcintf else sources.intersection(srcintf):
            for b in targets if "any" in dstintf else targets.intersection(dstintf):
                if (a, b) in by_pair:
                    by_pair[(a, b)].extend(rules)
    return by_pair


def _own_addresses(blocks: dict[str, list[tuple[str, Block]]]) -> AddressSet:
    """The FortiGate's own interface addresses (``config system interface``: ``set ip`` and
    ``config ipv6`` / ``set ip6-address``), as hosts."""
    found: list[str] = []
    for _vdom, block in blocks.get("system interface", ()):
        for entry in block.entries:
            ip = entry.values("ip")
            if ip and ip[0].split("/")[0] not in ("", "0.0.0.0"):
                found.append(ip[0].split("/")[0])
            v6 = entry.block("ipv6")
            ip6 = v6.body.values("ip6-address") if v6 is not None else []
            if ip6 and ip6[0].split("/")[0] not in ("", "::"):
                found.append(ip6[0].split("/")[0])
    return AddressSet.parse([a for a in found if is_ip_address(a)])


def _local_in(vdom: _Vdom, objects: Objects, own: AddressSet, path: str) -> list[tuple[Entry, list[Rule]]]:
    """Traffic to the FortiGate's own addresses is decided by the local-in policies (in table
    order, first match), not by firewall policies; a VIP's external address is translated first
    and stays with the firewall policies. A local-in deny drops it. A local-in accept, and no
    local-in policy at all (FortiOS then has no restriction: whatever service of the box listens
    answers), let it in to the FortiGate itself, not to a server behind it: unknown, saying so."""
    out: list[tuple[Entry, list[Rule]]] = []
    for policy, v6 in vdom.local_in:
        if policy.one("status") == "disable":
            continue
        sources, destinations = _addresses(policy, objects, v6)
        destinations = destinations.restricted(own)
        accept = policy.one("action", "deny") == "accept"
        why = list(_conditions(policy, objects, False, Action.DROP))
        if policy.one("ha-mgmt-intf-only") == "enable":
            why.append("ha-mgmt-intf-only (the HA management interface only)")
        if accept:
            why.append(f"local-in policy {policy.name} accepts it to the FortiGate itself: it reaches "
                       "a service of the box (if one listens on the port), not a server behind it; "
                       "publish the server with a VIP")
        if policy.one("service-negate") == "enable":
            services = [Service(None, None, ("service-negate",))]
        else:
            services = [s for n in policy.values("service") for s in objects.service(n, policy.line)]
        origin = Origin(path, policy.line, f"local-in-policy{'6' if v6 else ''} {policy.name}")
        rules = expand_rule(sources, destinations, services,
                            Action.UNKNOWN if accept else Action.DROP, origin, tuple(why))
        out.append((Entry("", 0, {"srcintf": Field(policy.values("intf") or ["any"], 0),
                                  "dstintf": Field(["any"], 0)}), rules))
    what = (f"no local-in policy of the {len(vdom.local_in)} in the file denies it" if vdom.local_in
            else "no local-in policies in the file")
    reason = (f"traffic to the FortiGate's own address: {what}, so FortiOS lets it in to whatever "
              "service of the box listens on the port (interface allowaccess, SSL VPN, ...); it does "
              "not reach a server behind the FortiGate without a VIP")
    catch_all = Rule(Match(destinations=own, undecidable=(reason,)), Action.UNKNOWN,
                     Origin(path, 0, "local-in (traffic to the FortiGate itself)"))
    out.append((Entry("", 0, {"srcintf": Field(["any"], 0), "dstintf": Field(["any"], 0)}), [catch_all]))
    return out


def _policies(vdom: _Vdom, objects: Objects, path: str, scope: Scope | None,
               findings: list[Finding]) -> tuple[list[tuple[Entry, list[Rule]]], int]:
    """The rules of each enabled policy, in table order; with `scope`, a policy none of whose
    services an audited packet has is left out (and counted). Its addresses are still resolved
    (their errors raised as in the full parse) unless no address can fail to resolve."""
    active: list[tuple[Entry, list[Rule]]] = []
    omitted = 0
    admission = _Admission(scope, objects) if scope is not None else None
    resolve = admission is not None and not objects.addresses_always_resolve()
    for policy, v6 in vdom.policies:
        if policy.one("status") == "disable":
            findings.append(info("audit.rule-disabled", f"disabled policy {policy.name} skipped",
                                 path, policy.line))
            continue
        if admission is not None:
            if resolve:
                _addresses(policy, objects, v6)
            if not admission.admits(policy):  # audit_vendor.py fortigate: scoped parse ~1/4 of the full's CPU
                omitted += 1
                continue
        active.append((policy, compile_policy(policy, objects, path, v6, vdom.ngfw_policy_mode)))
    return active, omitted


def _build(text: str, path: str, fmt: str, scope: Scope | None = None) -> Ruleset:
    root = parse_tree(text, path)
    if not root.blocks:
        raise InputError("no FortiOS 'config' blocks in this file", path=path, field="config")
    vdoms = _vdoms(root)
    findings: list[Finding] = []
    chains: dict[str, Chain] = {}
    entries: list[RuleEntry] = []
    omitted = 0
    if not any(v.policies for v in vdoms.values()):
        findings.append(warning("audit.no-policies", "no 'config firewall policy' entries: the "
                                "implicit deny decides everything", path, 0))
        vdoms.setdefault("", _Vdom())
    own = _own_addresses(find_blocks(root))
    for vdom_name, vdom in vdoms.items():
        objects = Objects(path, vdom.objects)
        active = []
        mine = own - objects.vip_external
        if mine:
            active += _local_in(vdom, objects, mine, path)
        kept, left_out = _policies(vdom, objects, path, scope, findings)
        active += kept
        omitted += left_out
        prefix = f"{vdom_name}: " if len(vdoms) > 1 else ""
        by_pair = _by_pair(active, _pairs([p for p, _ in vdom.policies]))
        for (src, dst), rules in by_pair.items():
            key = chain_key(path, vdom_name, src, dst)
            chains[key] = Chain(key=key, name=f"{prefix}{src} -> {dst}", rules=tuple(rules), table=vdom_name,
                                policy=Action.DROP, policy_origin=Origin(path, 0, "implicit deny"))
            entries.append(RuleEntry(f"{prefix}{src} -> {dst}", (key,)))
    return Ruleset(format=fmt, platform="fortigate", paths=(path,), chains=chains,
                   entries=tuple(entries), findings=tuple(findings), omitted=omitted)


class FortiGateParser(RulesetParser):
    name = "fortigate"
    platform = "fortigate"
    description = "FortiGate FortiOS configuration (show full-configuration or a backup .conf)"

    def detect(self, text: str) -> float:
        return _detect.fortigate(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name, scope))
