"""The filter rules of a pfSense/OPNsense ``config.xml``: for each ``<rule>`` of the root's first
``<filter>``, its line and `XmlNode.child_texts`; `parse_with_rules` parses the document too.

The compiled build reads the rules straight from the document's bytes (``_xmlrules.c``) without
an lxml proxy object per child element; a rule holding anything only the XML parser reads
exactly (entities, comments ...) is read from the lxml tree, and so is the whole section when
the scan cannot follow the document (see the C file) or finds another number of rules than the
tree has. When the scan read every rule itself, the lxml tree is built without the section's
content, after libxml2 has checked the whole document without building anything (see
`parse_with_rules`). The pure path, the reference, parses everything into the tree and reads
every rule from it. tests/rulesets/test_xml_rules.py compares the two, errors included.
"""

from __future__ import annotations

from typing import cast

from hybridfw.errors import InputError
from hybridfw.rulesets._vendor_util import XML_OPTIONS, XmlNode, parse_xml

try:  # the optional compiled build (hatch_build.py); the tree path below is the reference
    from hybridfw.rulesets import _xmlrules
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _xmlrules = None  # type: ignore[assignment]

Rules = list[tuple[int, dict[str, str]]]
# _xmlrules.scan: (rules, None for those it leaves to the tree; the section's content as
# data[start:end]; the section's line; whether that content can be left out of the tree)
Scanned = tuple[list[tuple[int, dict[str, str]] | None], int, int, int, bool]


def tree_rule_texts(section: XmlNode, item: str) -> Rules:
    """The reference: every `item` child of `section` read from the lxml tree."""
    return [(rule.line, rule.child_texts()) for rule in section.children_named(item)]


def scan(data: bytes, section: str = "filter", item: str = "rule") -> Scanned | None:
    """The compiled scan of `data` (None without the compiled build or when it gives up)."""
    return _xmlrules.scan(data, section.encode(), item.encode()) if _xmlrules is not None else None


def rule_texts(root: XmlNode, scanned: Scanned | None, section: str = "filter",
               item: str = "rule") -> Rules:
    """(line, child texts) of each `item` child of the root's first `section` child, in order,
    from `scanned` (`scan` of the document `root` was parsed from): each rule it left to the tree
    read there; the whole section so when the scan gave up or counts another number of rules."""
    node = root.child(section)
    if node is None:
        return []
    # The compiled scan, no lxml proxy per child: audit_vendor.py pfsense scoped parse -45 % CPU
    rules = scanned[0] if scanned is not None else None
    if rules is None or len(rules) != node.count(item):
        return tree_rule_texts(node, item)
    if None in rules:
        return [got if got is not None else (rule.line, rule.child_texts())
                for got, rule in zip(rules, node.children_named(item), strict=True)]
    return cast("Rules", rules)


class _Nothing:
    """An lxml parser target without callbacks: libxml2 parses, nothing is built."""

    def close(self) -> None:
        return None


def well_formed(data: bytes) -> bool:
    """Whether libxml2 parses `data` with `parse_xml`'s options, without building a tree, and
    reports nothing at all (no error, no warning). Never for a document with a DTD: lxml makes
    a parser with a target replace entities, whatever its options say."""
    if b"<!DOCTYPE" in data:  # XML hardening: such a document is parse_xml's (which refuses it)
        return False
    from lxml import etree  # lazy: start-up stays fast

    parser = etree.XMLParser(target=_Nothing(), **XML_OPTIONS)
    try:
        etree.fromstring(data, parser)
    except etree.LxmlError:
        return False
    return len(parser.error_log) == 0


def parse_with_rules(text: str, path: str, data: bytes, section: str = "filter",
                     item: str = "rule") -> tuple[XmlNode, Rules]:
    """`parse_xml` and `rule_texts`: the same tree outside the section, rules and errors (every
    error is parse_xml's on the whole document). `data`: `text` encoded as UTF-8."""
    scanned = scan(data, section, item)
    fast = _without_section(text, path, data, section, scanned) if scanned is not None else None
    if fast is not None:
        return fast
    root = parse_xml(text, path, data)
    return root, rule_texts(root, scanned, section, item)


def _without_section(text: str, path: str, data: bytes, section: str,
                     scanned: Scanned) -> tuple[XmlNode, Rules] | None:
    """When the scan read every rule itself and libxml2 finds the document well-formed: the tree
    without the section's content (as many line ends in its place, so every element keeps its
    line) and the scanned rules; None otherwise."""
    rules, start, end, line, plain = scanned
    # No tree of the rules (most of the document): audit_vendor.py pfsense scoped parse -35 % CPU
    if not plain or start == end or None in rules or not well_formed(data):
        return None
    try:
        root = parse_xml(text, path, data[:start] + b"\n" * data.count(b"\n", start, end) + data[end:])
    except InputError:
        return None
    node = root.child(section)
    if node is None or node.line != line or node.children:  # not the section the scan found
        return None
    return root, cast("Rules", rules)
