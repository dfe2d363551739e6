"""The SRX line reader of the hierarchical form (`_srx_lines`) reads policy blocks as the token
reader does, whether it reads their lines or keeps a block found whole unread (`_srx_blocks`),
and the applications it tells from an unread block's text are those the reader gives once the
block is read: random policy blocks with quoted descriptions, ``/* */`` annotations, ``#``
comments, ``inactive:`` / ``protect:`` marks, ``[ ]`` lists, deeper blocks, odd blanks and
names, in zone pairs, ``global``, groups and logical systems. The compiled block scan
(``_srxblocks.c``) finds and judges the same blocks as its reference (`_srx_blocks.found`), and
the line reader reads the same with it as without it."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import require_extension
from hybridfw.errors import InputError
from hybridfw.rulesets import _srx_lines
from hybridfw.rulesets._junos_tree import Deactivated, statements
from hybridfw.rulesets._srx_blocks import applications, found
from hybridfw.rulesets._srx_lines import scan_tree
from hybridfw.rulesets._srx_reader import Reader

_MATCH = ("source-address a;", "destination-address any;", "application x;", "application junos-smtp;",
          "application y;")
_ODD_MATCH = ('application "x";', "application [ x y ];", "application  x;", "application x ;",
              "application x; # c", "application-services;", "application;", "source-address [ a b ];",
              "application x/* c */;", "inactive: application y;", 'description "application z";',
              "application x;y;", "application-x;", '"x"application y;', '"application" y;',
              'description "x"application y;', "application\xa0x;", "application x\x00;")
_POLICY = ('description "mail: a;b {c} #1";', 'description "";', 'description "inactive: x";',
           "match application x;", "application y;", "scheduler-name s;", "/* annotated */",
           "# a comment", "", "count;", 'description "a\\"b";', 'description "open', "protect: count;",
           'description x/*y;', 'description "a # b";', 'description "x" application y;',
           'description "open;', 'description "a" "b;', 'description "a\\";', ' description "x" ;',
           'description "x";y;', 'descriptions "x";', 'description "\xe9#";', "\xa0count;")
_BLOCKS = ("then", "match", "then permit application-services", "match inactive:", 'match "q"', "match{")
_PADS = ("", "    ", "  ", "\t", "        ")
_PARENTS = (("security", "policies", "from-zone a to-zone b"), ("security", "policies", "global"),
            ("groups G", "security", "policies", "from-zone a to-zone b"),
            ("logical-systems L", "security", "policies", "from-zone a to-zone b"),
            ("security", "policies"))
_HEADS = ("policy p{", 'policy "r s" {', "inactive: policy p {", "policy  p {", "policy p {")


def _often(draw: st.DrawFn, common: tuple[str, ...], rare: tuple[str, ...]) -> str:
    """One of `common` eleven times in twelve, else one of `rare`."""
    return draw(st.sampled_from(common if draw(st.integers(0, 11)) else rare))


@st.composite
def _policy(draw: st.DrawFn, pad: str) -> list[str]:
    inner = pad + draw(st.sampled_from(_PADS[1:]))
    lines = [pad + _often(draw, (f"policy p{draw(st.integers(0, 12))} {{",), _HEADS)]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 5))
        if kind < 3:  # a block of statements, mostly `match`
            deeper = inner + draw(st.sampled_from(_PADS[1:]))
            head = (_often(draw, ("then",), _BLOCKS) if kind == 0
                    else ("match", "then", "match x")[kind - 1 and draw(st.integers(0, 2))])
            lines.append(f"{inner}{head} {{")
            actions = st.sampled_from(("permit;", "deny;"))
            lines += [deeper + (_often(draw, _MATCH, _ODD_MATCH) if kind else draw(actions))
                      for _ in range(draw(st.integers(0, 4)))]
            if kind == 0 and draw(st.integers(0, 3)) == 0:
                lines += [f"{deeper}log {{", f"{deeper}    session-init;", f"{deeper}}}"]
            lines.append(f"{inner}}}")
        else:
            common = ('description "allow mail from EOP";', "count;", "application y;")
            lines.append(inner + _often(draw, common, _POLICY))
    lines.append(f"{pad}}}")
    return lines


@st.composite
def _config(draw: st.DrawFn) -> str:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        parents = draw(st.sampled_from(_PARENTS))
        pad = ""
        for word in parents:
            out.append(f"{pad}{word} {{")
            pad += "    "
        for _ in range(draw(st.integers(0, 4))):
            if draw(st.integers(0, 5)) == 0:
                out.append(pad + draw(st.sampled_from(("/* before */", "# before", ""))))
            out += draw(_policy(pad))
        out += [f"{'    ' * depth}}}" for depth in reversed(range(len(parents)))]
    ending = draw(st.sampled_from(("\n", "\r\n", "")))
    return "\n".join(out).replace("\n", ending if ending else "\n") + (ending or "")


def _read(text: str, told: list[bool]) -> tuple[object, list[tuple[int, str, tuple[str, ...]]] | None]:
    """What the token reader makes of `text` (or its error) and what the line reader makes
    (None: it leaves the text to the tokens); `told`: per block kept unread, whether its text
    told its applications."""
    try:
        expected: object = sorted((s.line, s.verb, s.words) for s in statements(text, "t"))
    except InputError as caught:
        expected = str(caught)
    done = scan_tree(text)
    if done is None:
        return expected, None
    reader = Reader("t")
    reader.off = off = Deactivated(done.statements)
    for key, record in done.records.items():
        if record.block is not None:  # what the block's text tells == the policy its lines make
            fast = applications(record.block[3], tuple(record.head[1:]), off)
            told.append(fast is not None)
            reader.add_records({key: record}, None)
            policy = reader.policies.get(key)  # none: the block has no statement
            assert fast is None or fast == (tuple(policy.values("application")) if policy else ("any",))
    got = [(s.line, s.verb, s.words) for s in done.statements]
    got += [(n, "set", tuple(w[1:])) for r in done.records.values() for n, w in r.statements()]
    return expected, sorted(got)


_TREE = "security {{\npolicies {{\nfrom-zone a to-zone b {{\npolicy p {{\n{}\n}}\n}}\n}}\n}}\n"


@settings(max_examples=examples(400), deadline=None)
@given(_config())
@example("security {\n    policies {\n        from-zone a to-zone b {\n            policy p {\n"
         '                description "x";\n                match {\n                    '
         "application x;\n                }\n            }\n        }\n    }\n}\n")
@example(_TREE.format("match {\n source-address a;\n}\napplication y;"))  # outside `match`
@example(_TREE.format('description "open;\nmatch {\n application x;\n}'))  # a quote not closed
@example(_TREE.format('match {\n"x"application y;\n}'))  # once told ("y",): the string was taken out
@example(_TREE.format('match {\n"application" y;\n}'))  # once told ("any",)
def test_the_line_reader_reads_policy_blocks_as_the_tokens_do(text: str) -> None:
    told: list[bool] = []
    expected, got = _read(text, told)
    event("read by the line reader" if got is not None else "left to the tokens")
    event(f"blocks kept unread: {'none' if not told else 'some'}, applications told: {any(told)}")
    assert got is None or got == expected, text
    if _srx_lines._srxblocks is not None:  # the same without the compiled block scan
        compiled, _srx_lines._srxblocks = _srx_lines._srxblocks, None
        try:
            assert _read(text, [])[1] == got
        finally:
            _srx_lines._srxblocks = compiled


# characters the scan must class as Python's expressions do (\xa0 and \x85 are `\s`, NUL is not)
_ODD_CHARS = ("\xa0", "\x85", "\x00", "\t", "\r", "\r\n", "\n", " ", '"', "#", "/*", "\\", "{", "}",
              ";", "[", "é", "inactive:", "replace:", "application ", "policy q {\n", "match {\n",
              'description "d";')


@settings(max_examples=examples(400, 80), deadline=None)
@given(_config(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(_ODD_CHARS)), max_size=3))
@example(_TREE.format('description "#";\nmatch {\n application x;\n}'), [])
@example(_TREE.format("match {\n application-x;\n}"), [])
@example(_TREE.format("match {\n replace: application x;\n}"), [])
@example(_TREE.format("match #x {\n application x;\n}"), [])
@example(_TREE.format("then {\n permit;\n}").replace("policy p {", "policy p#1 {"), [])
def test_the_compiled_scan_finds_and_judges_blocks_as_the_reference(text: str,
                                                                    edits: list[tuple[int, str]]) -> None:
    require_extension(_srx_lines._srxblocks, "hybridfw.rulesets._srxblocks")
    for at, piece in edits:
        at %= len(text) + 1
        text = text[:at] + piece + text[at:]
    reference = list(found(text, (True,) * 4))
    assert _srx_lines._srxblocks.scan(text) == reference, text
    event(f"blocks found: {min(len(reference), 2)}, told: {any(isinstance(b[5], tuple) for b in reference)}")
    marks = any(m in text for m in ("inactive:", "protect:", "replace:"))  # what `scan_tree` passes
    assert list(found(text, (marks, "/*" in text, '"' in text, "#" in text))) == reference


def test_the_compiled_scan_leaves_wider_characters_to_the_reference() -> None:
    require_extension(_srx_lines._srxblocks, "hybridfw.rulesets._srxblocks")
    assert _srx_lines._srxblocks.scan(_TREE.format("application \u20ac;")) is None
    text = _TREE.format('description "\u20ac";\nmatch {\n application x;\n}')
    done = scan_tree(text)
    assert done is not None and all(r.block is not None for r in done.records.values())


def _benchmark(quoted: bool) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import audit_vendor
    finally:
        sys.path.pop(0)
    return audit_vendor.srx_text(60, quoted)  # type: ignore[no-any-return]


def test_show_configuration_policy_blocks_stay_unread_quoted_or_not_crlf_or_not() -> None:
    for quoted, crlf in ((False, False), (True, False), (True, True)):
        text = _benchmark(quoted).replace("\n", "\r\n" if crlf else "\n")
        done = scan_tree(text)
        assert done is not None and len(done.records) == 60
        assert all(r.block is not None for r in done.records.values())
        off = Deactivated(done.statements)
        assert {r.head[-1]: applications(r.block[3], tuple(r.head[1:]), off) for r in done.records.values()
                if r.block is not None} == {f"p{i}": (f"s{i}",) for i in range(60)}
        told: list[bool] = []
        expected, got = _read(text, told)
        assert got == expected and told == [True] * 60
