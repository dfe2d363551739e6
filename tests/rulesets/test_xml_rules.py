"""Differential: the compiled filter-rule scan (`hybridfw.rulesets._xmlrules`) against the lxml
tree (`XmlNode.child_texts`, the reference), on random documents that lean on what the scan must
get right or hand back: entities and character references, CDATA, comments, processing
instructions, attributes holding '>' and '/', namespaces, CR/LF and lone CR, white space Python
strips but XML keeps, repeated tags, text between children, start tags over several lines (the
line lxml gives), a second or deeper <filter>, rules that are not the section's children."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import require_extension
from hybridfw.errors import InputError
from hybridfw.rulesets import _xml_rules
from hybridfw.rulesets._vendor_util import parse_xml

require_extension(_xml_rules._xmlrules, "hybridfw.rulesets._xmlrules")

_TAGS = ("type", "interface", "protocol", "source", "destination", "address", "port", "any", "not",
         "descr", "disabled", "x-y.z_1", "naïve", "rule", "filter")
_PLAIN = ("", "", "tcp", "wan", " 25 ", "\n  A1\n", "a b", "\t\r\n", "\xa0x\xa0", "\u3000y", "x\x85",
          "\u2028z", "é", "1000-2000", ">", "a\r\nb", " \r\n", "<![CDATA[ Allow &amp; <b> ]]>",
          "<![CDATA[]]>", "<![CDATA[\r\n]]]>")
_ODD = ("&amp;", "&#65;", "&#x20;x", "&lt;b&gt;", "<![CDATA[q<]]>", "<!--c-->", "<?pi x?>", "a\rb",
        "]]&gt;")
_WORDS = st.integers(0, 11).flatmap(lambda n: st.sampled_from(_ODD if n == 0 else _PLAIN))  # odd: 1 in 12
_OPEN_SPACE = ("", " ", "\n", " \n ", "\r\n")
_ATTRS = (' a="1"', " b='x>/y'", ' c="/"', ' d="&amp;"', ' a="1"', " b='x>/y'", ' c="/"', ' d="&amp;"',
          ' xmlns:p="urn:p"', ' xmlns="urn:d"')


@st.composite
def _element(draw: st.DrawFn, depth: int, tag: str = "") -> str:
    tag = tag or draw(st.sampled_from(_TAGS))
    attrs = draw(st.sampled_from(_ATTRS)) if draw(st.integers(0, 9)) == 0 else ""
    space = draw(st.sampled_from(_OPEN_SPACE))
    if draw(st.integers(0, 5)) == 0:
        return f"<{tag}{attrs}{space}/>"
    parts = [draw(_WORDS)]
    if depth < 3:
        for child in draw(st.lists(_element(depth + 1), max_size=3 if depth else 6)):
            parts += [child, draw(_WORDS)]
    return f"<{tag}{attrs}{space}>{''.join(parts)}</{tag}{draw(st.sampled_from(('', ' ', chr(10))))}>"


@st.composite
def _document(draw: st.DrawFn) -> str:
    prolog = draw(st.sampled_from(("", '<?xml version="1.0"?>\n', '<?xml version="1.1"?>\r\n',
                                   "<!-- head -->\n", "\ufeff", "<?pi <rule>?>\n")))
    root = draw(st.sampled_from(("pfsense", "opnsense", "pfsense", "opnsense", "p:pfsense")))
    before = draw(st.sampled_from(("", "<aliases><alias><name>A</name></alias></aliases>\n",
                                   "<x><filter><rule><type>nested</type></rule></filter></x>\n",
                                   "<!-- <filter><rule> -->\n", "<![CDATA[<filter>]]>")))
    rules = draw(st.lists(_element(1, "rule"), min_size=1, max_size=8))
    others = draw(st.sampled_from(("", "<separator><rule>no</rule></separator>", "text", "<!-- x -->")))
    section = f"<filter>\n{others}{''.join(rule + chr(10) for rule in rules)}</filter>"
    if draw(st.integers(0, 8)) == 0:
        section = "<filter/>"
    after = draw(st.sampled_from(("", "\n<filter><rule><type>second</type></rule></filter>")))
    return f"{prolog}<{root}>\n{before}{section}{after}\n</{root}>\n"


def _reference(text: str) -> list[tuple[int, dict[str, str]]] | None:
    try:
        root = parse_xml(text, "t.xml")
    except InputError:
        return None
    node = root.child("filter")
    return [] if node is None else _xml_rules.tree_rule_texts(node, "rule")


@settings(max_examples=examples(600, daily=150), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_document())
def test_scan_reads_each_rule_like_the_tree(text: str) -> None:
    expected = _reference(text)
    if expected is None:  # lxml refuses it: the readers never scan such a document
        return
    data = text.encode("utf-8", errors="replace")
    root = parse_xml(text, "t.xml", data)
    assert _xml_rules.rule_texts(root, data) == expected
    scanned = _xml_rules._xmlrules.scan(data, b"filter", b"rule")
    if scanned is not None:  # every rule it read itself is exactly the tree's
        assert len(scanned) == len(expected)
        for got, want in zip(scanned, expected, strict=True):
            assert got is None or got == want, (got, want)


def test_scan_reads_plain_rules_itself() -> None:
    """The fast path is taken: plain rules (attributes, CRLF, blank lines, non-ASCII, CDATA as
    pfSense writes <descr>) are read by the scan; a rule with an entity or a comment goes to the
    tree."""
    text = ('<?xml version="1.0"?>\r\n<pfsense>\r\n<filter>\r\n<rule id="1">\r\n <type>pass</type>\r\n'
            ' <source><address>A</address><not/></source>\r\n <descr>é  </descr>\r\n</rule>\r\n'
            '<rule\r\n><type>block</type><descr>a &amp; b</descr></rule>\r\n'
            "<rule><type>block</type><!-- x --></rule><rule><descr><![CDATA[c]]></descr></rule>\r\n"
            "</filter>\r\n</pfsense>\r\n")
    data = text.encode()
    scanned = _xml_rules._xmlrules.scan(data, b"filter", b"rule")
    assert scanned == [(4, {"type": "pass", "source/address": "A", "source/not": "", "source": "",
                            "descr": "é"}), None, None, (11, {"descr": "c"})]
    assert _xml_rules.rule_texts(parse_xml(text, "t.xml", data), data) == _reference(text)
    assert _xml_rules.rule_texts(parse_xml(text, "t.xml", data), data)[1] == (
        10, {"type": "block", "descr": "a & b"})
