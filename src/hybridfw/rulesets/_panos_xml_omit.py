"""PAN-OS XML scoped parse: security rules no audited packet can match, left out as they are
read (only their ``<service>``, ``<disabled>``, ``<from>`` and ``<to>`` children looked at).

A rule is left out here only when `build_ruleset` would leave it out and show nothing else of
it: it is not disabled (that is a finding), and each of its service names alone is admitted by
no audited packet (so the rule is not, whatever its applications: `rule_services` only narrows
its written services). Its zones still count (`RuleFilter.zones`, see `panos_xml`), and no
address group may nest deep enough that resolving its addresses could raise (`usable`).
"""

from __future__ import annotations

from typing import Any

from hybridfw.rulesets._nesting import longest_chain
from hybridfw.rulesets._panos_common import ObjectResolver, PanConfig, PanScope
from hybridfw.rulesets._panos_services import service_named
from hybridfw.rulesets._vendor_util import MAX_NESTING, _own_members, admitted
from hybridfw.rulesets.scope import Scope


class RuleFilter:
    """Leaves out the rule entries of one scope's rulebases that `build_ruleset` would leave
    out without a trace but the count (`left_out`)."""

    def __init__(self, config: PanConfig, scope: PanScope, audit: Scope) -> None:
        self.lookup = ObjectResolver(config, scope, audit)
        self.audit = audit
        self.left_out = 0
        self.zones: set[str] = set()  # the zones the rules left out name
        self._omissible: dict[tuple[str, ...], bool] = {}

    @staticmethod
    def usable(config: PanConfig, scope: PanScope) -> bool:
        """No address-group chain (this scope's and shared, any name a group in either) is long
        enough that resolving a left-out rule's addresses could raise."""
        edges: dict[str, list[str]] = {}
        for table in (scope.address_groups, config.shared.address_groups):
            for name, group in table.items():
                edges.setdefault(name, []).extend(group.values)
        longest = longest_chain(edges)
        return longest is not None and longest < MAX_NESTING - 1

    def __call__(self, el: Any) -> bool:
        """Whether the rule entry `el` (an lxml element) is left out (counted, zones kept)."""
        first: dict[str, Any] = {}
        for child in el.iterchildren("service", "disabled", "from", "to"):
            tag = child.tag
            if tag == "disabled":
                return False
            if tag not in first:  # the first counts, as in `_first_fields`
                first[tag] = child
        service = first.get("service")
        if service is None:
            return False
        names = tuple(_own_members(service))
        found = self._omissible.get(names)
        if found is None:
            found = self._omissible[names] = bool(names) and all(map(self._omissible_name, names))
        if found:
            self.left_out += 1
            for tag in ("from", "to"):
                if tag in first:
                    self.zones.update(_own_members(first[tag]))
        return found

    def _omissible_name(self, name: str) -> bool:
        return name not in ("any", "application-default") and not admitted(
            self.audit, service_named(self.lookup, name))
