"""The XML reader the pfSense, OPNsense and PAN-OS parsers share (`_vendor_util.parse_xml`):
bad documents are one-line input errors with their line, DTDs are refused, line numbers stay
right far into a big file, and element text is all the text directly inside the element."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.audit import run_cli
from _support.hypo import examples
from hybridfw.errors import InputError
from hybridfw.rulesets import parsers
from hybridfw.rulesets._vendor_util import XmlNode, parse_xml

REPO = Path(__file__).parent.parent.parent


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("<opnsense>\n<filter>\n<rule><type>pass</rule>\n</filter></opnsense>", 3, "mismatch"),
    ("<opnsense>\n\n<filter>", 3, "not well-formed"),
    ("", 1, "not well-formed"),
    ("<a>\x00</a>", 1, "not well-formed"),
    ("<a>&e;</a>", 1, "not well-formed"),
    ("<a/>\n<b/>", 2, "not well-formed"),
    ("<?xml version='1.0'?>\n<!DOCTYPE x [<!ENTITY a 'b'>]><opnsense/>", 2, "DTD"),
    ("<!DOCTYPE opnsense SYSTEM 'http://127.0.0.1:9/x.dtd'><opnsense/>", 1, "DTD"),
])
def test_bad_documents_are_input_errors_with_the_line(text: str, line: int | None, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as caught:
        parse_xml(text, "config.xml")
    assert caught.value.line == line and "\n" not in str(caught.value)


def test_declared_encoding_does_not_steer_the_reader() -> None:
    root = parse_xml("<?xml version='1.0' encoding='latin-1'?><a>é</a>", "x.xml")
    assert root.text == "é"
    assert parse_xml("<?xml version='1.0' encoding='no-such-codec'?><a>x</a>", "x.xml").text == "x"


def test_text_lines_and_children() -> None:
    root = parse_xml("<r>\n<a k='v'>one<!-- c -->two<b>in</b>three</a>\n<a/>\n<c>x</c></r>", "x.xml")
    first = root.child("a")
    assert first is not None and first.text == "onetwothree" and first.attrs["k"] == "v"
    assert [(c.tag, c.line) for c in root.children] == [("a", 2), ("a", 3), ("c", 4)]
    assert [n.line for n in root.children_named("a")] == [2, 3]
    assert root.text_of("c") == "x" and root.text_of("missing", "d") == "d"
    assert root.child("*") is None and list(root.children_named("*")) == []
    assert root.path("a", "b") is not None and root.path("a", "z", "b") is None


def test_line_numbers_beyond_65535() -> None:
    text = "<pfsense><filter>" + "\n" * 100_000 + ("<rule><interface>wan</interface><disabled/></rule>"
                                                  "</filter></pfsense>")
    ruleset = parsers()["pfsense"].parse(text, "big.xml")
    (disabled,) = [f for f in ruleset.findings if f.code == "audit.rule-disabled"]
    assert disabled.evidence == ("big.xml:100001",)


def test_malformed_config_on_the_command_line_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "config.xml"
    bad.write_text("<opnsense>\n<filter>\n<rule><type>pass</rule>\n</filter></opnsense>\n")
    result = run_cli("audit", "--format", "opnsense", str(bad), "--topology",
                     str(REPO / "examples" / "hybrid.toml"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert f"{bad}:3 [xml]: not well-formed XML" in result.stderr


_TAGS = ("from", "service", "action", "member", "other", "ns:from")
_TEXTS = ("", " a ", "b", "\n  ", "x y")


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attrs = ' xmlns:ns="urn:x"' if tag.startswith("ns:") else ""
    inner = draw(st.sampled_from(_TEXTS))
    if depth < 2:
        for _ in range(draw(st.integers(0, 3))):
            inner += draw(_element(depth + 1)) + draw(st.sampled_from(_TEXTS))
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _first_fields_reference(node: XmlNode, lists: frozenset[str],
                            words: frozenset[str]) -> dict[str, list[str]]:
    """What the PAN-OS reader did before `entries_fields`: one XmlNode per child."""
    out: dict[str, list[str]] = {}
    for child in node.children:
        if child.tag in out:
            continue
        if child.tag in lists:
            own = child.text.strip()
            members = [m.text.strip() for m in child.children_named("member")]
            out[child.tag] = members or ([own] if own else [])
        elif child.tag in words:
            out[child.tag] = [child.text.strip()]
    return out


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(_element(), max_size=6))
def test_entries_fields_reads_what_one_node_per_child_reads(children: list[str]) -> None:
    root = parse_xml(f'<rules>\n<entry xmlns:ns="urn:x" name="r">{"".join(children)}</entry></rules>', "x")
    lists, words = frozenset({"from", "service"}), frozenset({"action", "other"})
    entry = next(root.children_named("entry"))
    assert root.entries_fields("entry", lists, words) == [
        ("r", 2, _first_fields_reference(entry, lists, words))]
