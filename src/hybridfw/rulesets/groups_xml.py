"""pfSense and OPNsense address aliases and every element that names them (see `groups`).

Aliases: ``<aliases><alias>`` (pfSense; older OPNsense) with members in ``<address>``
separated by spaces, and OPNsense's ``<OPNsense><Firewall><Alias><aliases><alias>`` with members
in ``<content>`` separated by new lines (a disabled one is left out). Only host, network and
networkgroup aliases hold addresses; a member naming another alias is listed as a group. A
filter rule's ``<source>`` / ``<destination>`` (and an automation rule's ``source_net`` /
``destination_net``) is a rule use, by the ``<rule>`` element's line; an alias listing it is a
group use; anything else (NAT, outbound NAT, ...) is another use. Descriptions are not uses.
"""

from __future__ import annotations

from hybridfw.rulesets._vendor_util import XmlNode, parse_address, parse_xml
from hybridfw.rulesets.groups import Group, GroupIndex, Member, Use

_ADDRESS_KINDS = ("host", "network", "networkgroup")
_FREE_TEXT = ("descr", "description", "detail", "name", "uuid")
_SIDES = {"source": "source", "source_net": "source", "destination": "destination",
          "destination_net": "destination"}


def _aliases(root: XmlNode) -> list[tuple[XmlNode, str]]:
    """(alias, the tag holding its members)."""
    found: list[tuple[XmlNode, str]] = []
    legacy = root.child("aliases")
    found += [(a, "address") for a in (legacy.children_named("alias") if legacy is not None else ())]
    mvc = root.path("OPNsense", "Firewall", "Alias", "aliases")
    found += [(a, "content") for a in (mvc.children_named("alias") if mvc is not None else ())
              if a.text_of("enabled", "1") == "1"]
    return found


def xml_groups(text: str, path: str) -> GroupIndex:
    root = parse_xml(text, path)
    index = GroupIndex()
    aliases = _aliases(root)
    names = {a.text_of("name"): f"alias|{a.text_of('name')}" for a, _tag in aliases}
    for alias, tag in aliases:
        name = alias.text_of("name")
        holder = alias.child(tag)
        members = []
        if holder is not None and alias.text_of("type") in _ADDRESS_KINDS:
            for token in holder.text.split():
                if token in names:
                    members.append(Member(token, holder.line, None, names[token]))
                else:
                    members.append(Member(token, holder.line, parse_address(token)))
        index.groups[names[name]] = Group(names[name], name, alias.line, tuple(members),
                                          scope=f"alias <{tag}>")
    _walk(index, root, [], names)
    return index


def _walk(index: GroupIndex, node: XmlNode, above: list[XmlNode], names: dict[str, str]) -> None:
    children = node.children
    if not children and node.tag not in _FREE_TEXT:
        for token in node.text.split():
            if token in names:
                index.add_use(names[token], _use(node, above))
    for child in children:
        _walk(index, child, [*above, node], names)


def _use(node: XmlNode, above: list[XmlNode]) -> Use:
    tags = [n.tag for n in above]
    where = "/".join([*tags[-3:], node.tag])
    if "alias" in tags and node.tag in ("address", "content"):
        alias = above[len(tags) - 1 - tags[::-1].index("alias")]
        return Use(node.line, f"alias {alias.text_of('name')}", group=f"alias|{alias.text_of('name')}")
    if "rule" in tags and "nat" not in tags:
        at = len(tags) - 1 - tags[::-1].index("rule")
        rule = above[at]
        in_filter = "filter" in tags or ("Filter" in tags and "rules" in tags)
        side = next((_SIDES[t] for t in [*tags[at + 1:], node.tag] if t in _SIDES), "")
        if in_filter and side:
            return Use(node.line, f"rule at line {rule.line} {side}", rule=rule.line, side=side)
    return Use(node.line, where)
