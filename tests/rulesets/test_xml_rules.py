"""Differential: the compiled filter-rule scan (`hybridfw.rulesets._xmlrules`) against the lxml
tree (`XmlNode.child_texts`, the reference), on random documents that lean on what the scan must
get right or hand back: entities and character references, CDATA, comments, processing
instructions, attributes holding '>' and '/', namespaces, CR/LF and lone CR, white space Python
strips but XML keeps, repeated tags, text between children, start tags over several lines (the
line lxml gives), a second or deeper <filter>, rules that are not the section's children.

And `parse_with_rules` (the tree built without the section when the scan read it all) against
`parse_xml` + the tree's rules, on those documents with hostile parts put in anywhere: DTDs and
entities, what only libxml2's tree builder checks (xml:id, prefixes), broken markup. Same error
text, or the same rules and the same tree outside the section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from _support.hypo import examples
from _support.native import require_extension
from hybridfw.errors import InputError
from hybridfw.rulesets import _xml_lines, _xml_rules
from hybridfw.rulesets._vendor_util import parse_xml

require_extension(_xml_rules._xmlrules, "hybridfw.rulesets._xmlrules")
require_extension(_xml_lines._xmltags, "hybridfw.rulesets._xmltags")
TESTS = Path(__file__).resolve().parents[1]
SAMPLES = TESTS.parent.parent / "shared" / "data" / "firewall-samples"

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
def _element(draw: st.DrawFn, depth: int, tag: str = "", words: st.SearchStrategy[str] = _WORDS) -> str:
    tag = tag or draw(st.sampled_from(_TAGS))
    attrs = draw(st.sampled_from(_ATTRS)) if draw(st.integers(0, 9)) == 0 else ""
    space = draw(st.sampled_from(_OPEN_SPACE))
    if draw(st.integers(0, 5)) == 0:
        return f"<{tag}{attrs}{space}/>"
    parts = [draw(words)]
    if depth < 3:
        for child in draw(st.lists(_element(depth + 1, words=words), max_size=3 if depth else 6)):
            parts += [child, draw(words)]
    return f"<{tag}{attrs}{space}>{''.join(parts)}</{tag}{draw(st.sampled_from(('', ' ', chr(10))))}>"


@st.composite
def _document(draw: st.DrawFn, words: st.SearchStrategy[str] = _WORDS) -> str:
    prolog = draw(st.sampled_from(("", '<?xml version="1.0"?>\n', '<?xml version="1.1"?>\r\n',
                                   "<!-- head -->\n", "\ufeff", "<?pi <rule>?>\n")))
    root = draw(st.sampled_from(("pfsense", "opnsense", "pfsense", "opnsense", "p:pfsense")))
    before = draw(st.sampled_from(("", "<aliases><alias><name>A</name></alias></aliases>\n",
                                   "<x><filter><rule><type>nested</type></rule></filter></x>\n",
                                   "<!-- <filter><rule> -->\n", "<![CDATA[<filter>]]>")))
    rules = draw(st.lists(_element(1, "rule", words), min_size=1, max_size=8))
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


@settings(max_examples=examples(600), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_document())
def test_scan_reads_each_rule_like_the_tree(text: str) -> None:
    expected = _reference(text)
    if expected is None:  # lxml refuses it: the readers never scan such a document
        return
    data = text.encode("utf-8", errors="replace")
    root = parse_xml(text, "t.xml", data)
    assert _xml_rules.rule_texts(root, _xml_rules.scan(data)) == expected
    scanned = _xml_rules.scan(data)
    if scanned is not None:  # every rule it read itself is exactly the tree's
        assert len(scanned[0]) == len(expected)
        for got, want in zip(scanned[0], expected, strict=True):
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
    scanned = _xml_rules.scan(data)
    assert scanned is not None
    assert scanned[0] == [(4, {"type": "pass", "source/address": "A", "source/not": "", "source": "",
                               "descr": "é"}), None, None, (11, {"descr": "c"})]
    assert _xml_rules.rule_texts(parse_xml(text, "t.xml", data), scanned) == _reference(text)
    assert _xml_rules.rule_texts(parse_xml(text, "t.xml", data), scanned)[1] == (
        10, {"type": "block", "descr": "a & b"})


# Put in after a random '>': what only the tree builder checks (xml:id, prefixes), what the
# parser checks (references, markup, characters), what it only warns about, harmless markup.
_HOSTILE = ('<x xml:id="1 2"/>', '<x xml:id="a"/><y xml:id="a"/>', "<p:x/>", '<x p:a="1"/>',
            '<x a="&amp;"/>', '<x a="&#38;b"/>', '<x a="&foo;"/>', "&foo;", "&#0;", "\x01", "]]>", "<x>",
            "</x>", '<x a="1" a="2"/>', '<x xml:space="bad"/>', '<x xml:lang="en" q="a:b"/>',
            "<?xml-stylesheet x?>", "<!-- - -- -->", "<![CDATA[<rule>]]>", "<x/>", "\n")
_DTDS = ('<!DOCTYPE pfsense [<!ENTITY e "x">]>', '<!DOCTYPE pfsense SYSTEM "file:///etc/hostname">',
         '<!DOCTYPE pfsense [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
         '<!DOCTYPE pfsense [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
         '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;&c;&c;">]>')
_AFTER = ("", "<interfaces><lan><if>em0</if></lan></interfaces>", '<aliases a="1">\n<alias/></aliases>')


@st.composite
def _hostile(draw: st.DrawFn) -> str:
    plain = st.sampled_from(_PLAIN)  # no rule left to the tree: the fast path's documents
    words = draw(st.sampled_from((plain, _WORDS)))
    text = draw(_document(words)).replace("p:pfsense", "pfsense" if words is plain else "p:pfsense")
    head, tail = text.rsplit("\n</", 1)  # elements after the section, before the root's end
    text = f"{head}\n{draw(st.sampled_from(_AFTER))}</{tail}"
    for _ in range(draw(st.sampled_from((0, 0, 0, 1, 2)))):
        ends = [i + 1 for i, c in enumerate(text) if c == ">"]
        at = draw(st.sampled_from(ends))
        text = text[:at] + draw(st.sampled_from(_HOSTILE)) + text[at:]
    if draw(st.integers(0, 7)) == 0:
        dtd = draw(st.sampled_from(_DTDS))
        text = dtd + text.replace("<type>", "<type>&e;", 1) if not text.startswith("<?xml") else text
    return text


def _outside(root: Any) -> list[tuple[object, ...]]:
    """Every element of the lxml tree but the content of the root's first <filter>: tag, line,
    attributes, text (not the section's own) and tail."""
    section = next(root.iterchildren("filter"), None)
    found: list[tuple[object, ...]] = []
    for el in root.iter():
        if section is not None and el is not section and section in el.iterancestors():
            continue
        text = None if el is section else el.text
        found.append((el.tag, el.sourceline, sorted(el.attrib.items()), text, el.tail))
    return found


def _outcome(parse: Any, text: str) -> tuple[object, ...]:
    data = text.encode("utf-8", errors="replace")
    try:
        root, rules = parse(text, data)
    except InputError as exc:
        return ("error", str(exc), exc.line, exc.field)
    return ("parsed", rules, _outside(root._el))


def _reference_parse(text: str, data: bytes) -> tuple[Any, object]:
    root = parse_xml(text, "t.xml", data)
    node = root.child("filter")
    return root, [] if node is None else _xml_rules.tree_rule_texts(node, "rule")


@settings(max_examples=examples(500, daily=120), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_hostile())
def test_parse_with_rules_is_parse_xml_and_the_trees_rules(text: str) -> None:
    expected = _outcome(_reference_parse, text)
    assert _outcome(lambda t, d: _xml_rules.parse_with_rules(t, "t.xml", d), text) == expected


def test_tree_without_the_section_is_taken() -> None:
    """The fast path is taken for a plain document (its tree has no rule, the elements after
    the section keep their lines); not for one with xml:id or a prefixed attribute in the section,
    nor with an error only the tree builder reports, nor with a DTD."""
    text = ('<?xml version="1.0"?>\n<pfsense>\n<filter>\n<rule uuid="u-1"><type>pass</type>\n</rule>\n'
            '<rule><descr><![CDATA[a]]></descr></rule>\n</filter>\n<aliases>\n<alias/></aliases>\n</pfsense>\n')
    data = text.encode()
    root, rules = _xml_rules.parse_with_rules(text, "t.xml", data)
    assert rules == [(4, {"type": "pass"}), (6, {"descr": "a"})]
    assert root.child("filter") is not None and not root.child("filter").children  # type: ignore[union-attr]
    assert [(c.tag, c.line) for c in root.children] == [("filter", 3), ("aliases", 8)]
    assert _outcome(lambda t, d: _xml_rules.parse_with_rules(t, "t.xml", d), text) == _outcome(
        _reference_parse, text)
    for odd in ('<rule xml:id="a b">', '<rule p:a="1">', '<rule a="&amp;">'):
        changed = text.replace('<rule uuid="u-1">', odd)
        scanned = _xml_rules.scan(changed.encode())
        assert scanned is not None and scanned[4] is False, odd
    assert _xml_rules.well_formed(data)
    assert not _xml_rules.well_formed(text.replace('<rule uuid="u-1">', "<rule><p:x/>").encode())
    assert not _xml_rules.well_formed(text.replace('<rule uuid="u-1">', '<rule xml:space="x">').encode())


def test_no_dtd_reaches_the_tree_less_check() -> None:
    """XML hardening: lxml replaces entities for a parser target whatever its options, so neither
    the scan nor `well_formed` lets a document with a DOCTYPE through (parse_xml refuses it)."""
    dtd = '<!DOCTYPE pfsense [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
    text = f"{dtd}\n<pfsense><filter><rule><type>&e;</type></rule></filter></pfsense>\n"
    assert not _xml_rules.well_formed(text.encode())
    assert _xml_rules.scan(text.encode()) is None
    after = "<pfsense><filter><rule/></filter></pfsense>" + dtd
    assert _xml_rules.scan(after.encode()) is None
    try:
        _xml_rules.parse_with_rules(text, "t.xml", text.encode())
    except InputError as exc:
        assert "DTDs and entity declarations are not allowed" in str(exc) and exc.line == 1
    else:
        raise AssertionError("a DTD was not refused")


def _c_tags(data: bytes) -> list[list[int]] | None:
    got = _xml_lines._xmltags.tags(data)
    return None if got is None else [list(memoryview(column).cast("q")) for column in got]


@settings(max_examples=examples(400, 60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_document())
def test_start_tags_in_c_are_the_references(text: str) -> None:
    """`_xmltags.tags` (evidence lines past line 65,535) = `_xml_lines.tags` on every document
    lxml parses (the only ones it is given), and on the real XML samples and fixtures."""
    data = text.encode("utf-8", errors="replace")
    try:
        parse_xml(text, "t.xml", data)
    except InputError:
        return
    assert _c_tags(data) == [list(column) for column in _xml_lines.tags(data)]


def test_start_tags_in_c_on_real_files_and_where_it_gives_up() -> None:
    files = [*SAMPLES.glob("*.xml"), *(TESTS / "data").glob("*/*.xml")]
    assert len(files) >= 8  # 4 real samples, 5 fixtures
    for path in files:
        data = path.read_bytes()
        assert _c_tags(data) == [list(column) for column in _xml_lines.tags(data)], path
    tricky = ("<r><![CDATA[>x<a>]]><b/></r>", "<r><!-- > <a> --><b/></r>", "<?p > <a>?><r><b/></r>",
              "<r><a x='>\"b' y=\"'/>\"/><c\n/></r>", "<r><![CDATA[]]><a></a ><b/></r>")
    for text in tricky:
        data = text.encode()
        elements = sum(1 for _ in etree.fromstring(data).iter(etree.Element))
        assert _c_tags(data) == [list(column) for column in _xml_lines.tags(data)], text
        assert len(_xml_lines.tags(data)[0]) == elements, text
    for cut in (b"<a><b x='1", b"<a><!-- x", b"<a><![CDATA[x]]", b"<a><?p x", b"<"):
        assert _c_tags(cut) is None
