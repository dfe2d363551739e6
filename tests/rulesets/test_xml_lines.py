"""Evidence lines past line 65,535 in XML configs (pfSense, OPNsense, PAN-OS XML).

libxml2 keeps an element's line in 16 bits; past it lxml's ``sourceline`` is a neighbour's line.
`_xml_lines.Lines` reads the start tags from the bytes instead. Checked here: on random small
documents, where libxml2's lines are exact, `Lines.exact` gives libxml2's line for every element
(asked in random order); on documents over 65,535 lines (generated once per module, rule layouts
varied), every rule's evidence line is the line of its start tag's '>' found while writing the
document, in the compiled build (the C scan) and the pure one (the lxml tree)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from _support.hypo import examples
from hybridfw.rulesets import _xml_lines, _xml_rules, parse_text
from hybridfw.rulesets._vendor_util import XML_OPTIONS, parse_xml
from hybridfw.rulesets._xml_lines import BIG, Lines
from hybridfw.rulesets.model import Ruleset

_TEXT = ("", "", "x", "\n", "\r\n", "  \n  ", "a&amp;b", "&#10;", "<![CDATA[>\n<a>]]>", "<!-- >\n<a> -->",
         "<?pi >\n<a>?>", "é\n", "]>", "<![CDATA[]]>")
_SPACE = ("", " ", "\n", "\r\n ", "\n\n")
_ATTRS = ("", ' a="1"', " b='x>/\ny'", ' c="/"', '\n d="&gt;"')


@st.composite
def _element(draw: st.DrawFn, depth: int) -> str:
    tag = draw(st.sampled_from(("a", "rule", "entry", "p:q", "x-y.z")))
    head = f"<{tag}{draw(st.sampled_from(_ATTRS))}{draw(st.sampled_from(_SPACE))}"
    if draw(st.integers(0, 4)) == 0:
        return head + "/>"
    parts = [draw(st.sampled_from(_TEXT))]
    if depth < 3:
        for child in draw(st.lists(_element(depth + 1), max_size=4)):
            parts += [child, draw(st.sampled_from(_TEXT))]
    return f"{head}>{''.join(parts)}</{tag}{draw(st.sampled_from(_SPACE))}>"


@st.composite
def _document(draw: st.DrawFn) -> str:
    prolog = draw(st.sampled_from(("", '<?xml version="1.0"?>\n', "\ufeff<!-- >\n -->\r\n", "<?p <a>?>\n")))
    return f'{prolog}<r xmlns:p="urn:p">{draw(_element(0))}{draw(_element(0))}</r>\n'


@settings(max_examples=examples(300, 60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document(), st.randoms(use_true_random=False))
def test_exact_lines_are_libxml2s_below_65535(text: str, rnd: random.Random) -> None:
    data = text.encode()
    root = etree.fromstring(data, etree.XMLParser(**XML_OPTIONS))
    elements = list(root.iter())
    rnd.shuffle(elements)  # any order: the walk from the last element placed goes either way
    lines = Lines(data)
    assert [lines.exact(e) for e in elements] == [e.sourceline for e in elements], text


def test_small_documents_keep_libxml2s_lines_alone() -> None:
    text = "<r>" + "\n" * (BIG - 10) + "<a>\n<b/></a></r>"
    assert parse_xml(text, "t")._lines is None  # every element before line 65,535
    assert parse_xml(text.replace("<b/>", "\n" * 10 + "<b/>"), "t")._lines is not None


def test_every_way_libxml2_gets_a_big_line_wrong() -> None:
    """Its answer from the first child (later), from the next sibling (later) and from the
    previous sibling (earlier: an empty last child with no text around it)."""
    pad = "\n" * (BIG + 5)
    text = f"<r>{pad}<a>\n<b>x</b></a>\n<c\n/>\n<d/><e><g>x</g>\n\n</e><f/></r>"
    root = parse_xml(text, "t")
    want = {tag: text.count("\n", 0, re.search(f"<{tag}[^>]*>", text).end()) + 1  # type: ignore[union-attr]
            for tag in "abcdefg"}
    raw = etree.fromstring(text.encode(), etree.XMLParser(**XML_OPTIONS))
    wrong = {e.tag for e in raw.iter() if e.tag in want and e.sourceline != want[str(e.tag)]}
    assert wrong == {"a", "c", "f"}  # libxml2: a from <b>'s text, c from its tail, f from <e> (<g>'s text)
    nodes = {"b": ("a", "b"), "g": ("e", "g")}
    assert {tag: root.path(*nodes.get(tag, (tag,))).line for tag in want} == want  # type: ignore[union-attr]
    # the previous sibling's line is below 65,535: libxml2's answer is too, Lines is asked anyway
    text = f"<r>{pad[:BIG - 3]}<e><g>x</g>\n\n\n\n</e><f/></r>"
    assert etree.fromstring(text.encode(), etree.XMLParser(**XML_OPTIONS))[1].sourceline == BIG - 2
    assert parse_xml(text, "t").path("f").line == BIG + 2  # type: ignore[union-attr]


# --- documents over 65,535 lines, one per format, each rule's true line noted as it is written

class _Writer:
    """Text with the line of each rule's start-tag '>' noted (by rule number)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line = 1
        self.want: dict[int, int] = {}

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.line += text.count("\n")

    def rule(self, number: int, head: str, body: str) -> None:
        """`head`: the start tag up to and with its '>'."""
        self.add(head)
        self.want[number] = self.line
        self.add(body)

    def text(self) -> str:
        return "".join(self.parts)


def _heads(tag: str, number: int, rnd: random.Random) -> str:
    """A start tag laid out one of several ways (attributes over lines, CR LF, a '>' in a value)."""
    name = f' name="r{number}"' if tag == "entry" else ""
    return rnd.choice((f"<{tag}{name}>", f"<{tag}{name}\n>", f"<{tag}\r\n{name} uuid='x>y'\n  >",
                       f"<{tag}{name} descr=\"a\nb\">"))


def _bodies(fields: list[str], rnd: random.Random) -> str:
    """The children, laid out one of several ways: the first child on the start tag's line or
    later, after a comment or a processing instruction, with CDATA over lines."""
    joiner = rnd.choice(("", "\n", "\r\n  ", "\n\n"))
    first = rnd.choice(("", "\n", "<!-- c\n -->", "<?p x?>\n", "\n<descr><![CDATA[a\nb]]></descr>",
                        "<descr>a &amp; b</descr>"))
    return first + joiner.join(fields) + joiner


def _pf(fmt: str, seed: int) -> tuple[str, dict[int, int], set[int]]:
    rnd, w, disabled = random.Random(seed), _Writer(), set()
    w.add(f"<?xml version=\"1.0\"?>\n<{fmt}><interfaces><wan><enable/></wan></interfaces>\n<filter>\n")
    for number in range(260):
        if number == 20:
            w.add("\n" * (BIG - w.line - 3))  # rules before, around and past line 65,535
        if number in (100, 200):
            w.add("\n" * 3000)
        fields = ["<type>pass</type>", "<interface>wan</interface>", "<protocol>tcp</protocol>",
                  "<source><any/></source>", f"<destination><any/><port>{1000 + number}</port></destination>"]
        if rnd.random() < 0.1:
            fields.append("<disabled/>")
            disabled.add(number)
        w.rule(number, _heads("rule", number, rnd), _bodies(fields, rnd) + "</rule>\n")
    w.add("</filter>\n")
    if fmt == "opnsense":  # automation rules: read from the tree in every build
        w.add("<OPNsense><Firewall><Filter><rules>\n")
        for number in range(260, 300):
            fields = ["<interface>wan</interface>", "<protocol>tcp</protocol>",
                      f"<destination_port>{1000 + number}</destination_port>",
                      f"<sequence>{number}</sequence>"]
            w.rule(number, _heads("rule", number, rnd), _bodies(fields, rnd) + "</rule>\n")
        w.add("</rules></Filter></Firewall></OPNsense>\n")
    w.add(f"</{fmt}>\n")
    return w.text(), w.want, disabled


def _panos(seed: int) -> tuple[str, dict[int, int], set[int]]:
    rnd, w, disabled = random.Random(seed), _Writer(), set()
    w.add('<config version="10.2.0">\n<devices><entry name="localhost.localdomain">'
          '<vsys><entry name="vsys1">\n'
          '<zone><entry name="untrust"/><entry name="trust"/></zone>\n<rulebase><security><rules>\n')
    for number in range(300):
        if number == 20:
            w.add("\n" * (BIG - w.line - 3))
        if number in (100, 200):
            w.add("\n" * 3000)
        fields = [f"<{t}><member>{v}</member></{t}>" for t, v in (
            ("from", "untrust"), ("to", "trust"), ("source", "any"), ("destination", "any"),
            ("application", "any"), ("service", "any"))] + ["<action>allow</action>"]
        if rnd.random() < 0.1:
            fields.append("<disabled>yes</disabled>")
            disabled.add(number)
        w.rule(number, _heads("entry", number, rnd), _bodies(fields, rnd) + "</entry>\n")
    w.add("</rules></security></rulebase></entry></vsys></entry></devices></config>\n")
    return w.text(), w.want, disabled


_DOCS = {"pfsense": lambda: _pf("pfsense", 17), "opnsense": lambda: _pf("opnsense", 18),
         "panos": lambda: _panos(19)}


@pytest.fixture(scope="module", params=sorted(_DOCS))
def big(request: pytest.FixtureRequest) -> tuple[str, str, dict[int, int], set[int]]:
    fmt = request.param
    return (fmt, *_DOCS[fmt]())


def _evidence(ruleset: Ruleset) -> tuple[list[int], list[int]]:
    """The lines of the rules (in order, once each) and of the disabled-rule findings."""
    lines = dict.fromkeys(r.origin.line for chain in ruleset.chains.values() for r in chain.rules)
    skipped = [int(e.rsplit(":", 1)[1]) for f in ruleset.findings if f.code == "audit.rule-disabled"
               for e in f.evidence]
    return sorted(lines), sorted(skipped)


@pytest.fixture(params=["compiled", "pure"])
def build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "pure":  # as HYBRIDFW_PURE=1 or a build without the C scans
        monkeypatch.setattr(_xml_rules, "_xmlrules", None)
        monkeypatch.setattr(_xml_lines, "_xmltags", None)
    elif _xml_rules._xmlrules is None:
        pytest.skip("the C scan is not built")
    yield request.param


def test_evidence_lines_are_the_start_tags_lines(big: tuple[str, str, dict[int, int], set[int]],
                                                  build: str) -> None:
    fmt, text, want, disabled = big
    assert text.count("\n") > BIG + 5000
    lines, skipped = _evidence(parse_text(text, f"big.{fmt}", fmt))
    assert skipped == sorted(want[n] for n in disabled)
    assert lines == sorted(line for n, line in want.items() if n not in disabled)


def test_the_documents_do_meet_libxml2s_wrong_lines(big: tuple[str, str, dict[int, int], set[int]]) -> None:
    """The test above would pass with libxml2's lines if these documents never met them."""
    fmt, text, want, _ = big
    tag = "entry" if fmt == "panos" else "rule"
    raw = etree.fromstring(text.encode(), etree.XMLParser(**XML_OPTIONS))
    got = [e.sourceline for e in raw.iter(tag) if e.get("name", "r").startswith("r")]
    assert len(got) == len(want)
    assert sum(a != b for a, b in zip(got, [want[n] for n in sorted(want)], strict=True)) > 50
