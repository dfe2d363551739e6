"""The filter rules of a pfSense/OPNsense ``config.xml``: for each ``<rule>`` of the root's first
``<filter>``, its line and `XmlNode.child_texts`.

The compiled build reads them straight from the document's bytes (``_xmlrules.c``, after lxml
has parsed the document without error), without an lxml proxy object per child element; a rule
holding anything only the XML parser reads exactly (entities, CDATA, comments ...) is read from
the lxml tree, and so is the whole section when the scan cannot follow the document (see the C
file) or finds another number of rules than the tree has. The pure path, the reference, reads
every rule from the tree. tests/rulesets/test_xml_rules.py compares the two.
"""

from __future__ import annotations

from hybridfw.rulesets._vendor_util import XmlNode

try:  # the optional compiled build (hatch_build.py); the tree path below is the reference
    from hybridfw.rulesets import _xmlrules
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _xmlrules = None  # type: ignore[assignment]


def tree_rule_texts(section: XmlNode, item: str) -> list[tuple[int, dict[str, str]]]:
    """The reference: every `item` child of `section` read from the lxml tree."""
    return [(rule.line, rule.child_texts()) for rule in section.children_named(item)]


def rule_texts(root: XmlNode, data: bytes, section: str = "filter",
               item: str = "rule") -> list[tuple[int, dict[str, str]]]:
    """(line, child texts) of each `item` child of the root's first `section` child, in order;
    `data` is the UTF-8 text `root` was parsed from."""
    node = root.child(section)
    if node is None:
        return []
    # The compiled scan, no lxml proxy per child: audit_vendor.py pfsense scoped parse -45 % CPU
    scanned = _xmlrules.scan(data, section.encode(), item.encode()) if _xmlrules is not None else None
    if scanned is None or len(scanned) != node.count(item):
        return tree_rule_texts(node, item)
    if None in scanned:
        rules = node.children_named(item)
        return [found if found is not None else (rule.line, rule.child_texts())
                for found, rule in zip(scanned, rules, strict=True)]
    return scanned  # type: ignore[return-value]  # no None in it
