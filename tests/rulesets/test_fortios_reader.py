"""The FortiOS reader's fast path (entries of plain set lines in one match, fields read when
first used) gives the same tree as reading every line on its own (`parse_tree(fast=False)`),
on random texts: plain and quoted names and values, escapes, odd keys, append/unset/select,
comments, blank lines, nested blocks, moves, other line breaks and stray verbs; the same input
error (message, line) when there is one."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.errors import InputError
from hybridfw.rulesets._fortios_tree import Block, Entry, parse_tree

_KEYS = ("srcintf", "service", "status", "service-negate", "member", "name", "comments", "x")
_INDENT = st.sampled_from(("", "    ", "        ", "\t", "  \t", " \u00a0"))
_VALUE = st.sampled_from(('"port1"', "port2", '"a b"', '"a\\"b"', "\"open", "disable", "enable",
                          '"SMTP" "HTTPS"', "x\\y", '""', "next", "end", "edit 1", "  "))


@st.composite
def _field(draw: st.DrawFn) -> str:
    verb = draw(st.sampled_from(("set", "set", "set", "set", "append", "unset", "select", "unselect",
                                 '"set"', "set\t")))
    key = draw(st.sampled_from((*_KEYS, *_KEYS, '"service"', 'ser"vice"', "k\\ey", "Key.1", "")))
    values = draw(st.lists(_VALUE, max_size=2))
    return draw(_INDENT) + " ".join([verb, key, *values]) + draw(st.sampled_from(("", "", " ", "\t")))


@st.composite
def _entry(draw: st.DrawFn, depth: int) -> list[str]:
    name = draw(st.sampled_from(("1", "2", "3", '"a b"', '"1"', "", '""', "1 extra")))
    lines = [draw(_INDENT) + draw(st.sampled_from(("edit ", "edit ", "edit\t", "edit  "))) + name]
    for _ in range(draw(st.integers(0, 4))):
        lines += draw(st.one_of(_field().map(lambda f: [f]), _field().map(lambda f: [f]),
                                _noise(), _block(depth + 1) if depth < 2 else _noise()))
    lines.append(draw(_INDENT) + draw(st.sampled_from(("next", "next", "next ", "end", "nextx"))))
    return lines


@st.composite
def _plain_entry(draw: st.DrawFn) -> list[str]:
    """What FortiOS writes: edit, set lines of plain keys, next (the fast path reads these)."""
    indent = draw(st.sampled_from(("    ", "\t", "")))
    name = draw(st.sampled_from(("1", "2", "3", '"a b"')))
    lines = [f"{indent}edit {name}"]
    for _ in range(draw(st.integers(0, 5))):
        values = " ".join(draw(st.lists(_VALUE, min_size=1, max_size=2)))
        lines.append(f"{indent}    set {draw(st.sampled_from(_KEYS))} {values}")
    return [*lines, f"{indent}next"]


@st.composite
def _noise(draw: st.DrawFn) -> list[str]:
    return [draw(st.sampled_from(("", "#comment", "  # set status disable", "rename 1 to 2",
                                  "move 2 before 1", "move 1 after 3", "next", "end", "edit", "config",
                                  "show")))]


@st.composite
def _block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    path = draw(st.sampled_from(("firewall policy", "firewall address", "vdom", "system interface",
                                 "global", "ipv6")))
    lines = [draw(_INDENT) + f"config {path}"]
    for _ in range(draw(st.integers(0, 4))):
        lines += draw(st.one_of(_plain_entry(), _plain_entry(), _entry(depth), _field().map(lambda f: [f]),
                                _noise()))
    if draw(st.integers(0, 12)):
        lines.append(draw(_INDENT) + "end")
    return lines


@st.composite
def _text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(_block())
    out = ""
    for line in lines:
        out += line + draw(st.sampled_from(("\n", "\n", "\n", "\n", "\r\n", "\r", "\x0b", "\u2028")))
    return out


def _dump(node: Entry | Block, keys: dict[tuple[object, ...], list[list[str]]]) -> Any:
    """Values of every key of every entry, read before the fields are built (the fast path's
    lazy reading), then the built fields with their lines. `Entry.texts` is a cache key: equal
    keys (over all entries) must mean equal values."""
    if isinstance(node, Block):
        return (node.path, node.line, _dump(node.body, keys), [_dump(e, keys) for e in node.entries])
    values = [node.values(k) for k in _KEYS]
    for group in (_KEYS[:4], _KEYS):
        assert keys.setdefault(node.texts(group), values[:len(group)]) == values[:len(group)]
    return (node.name, node.line, values, {k: (f.values, f.line) for k, f in node.fields.items()},
            [_dump(b, keys) for b in node.blocks])


def _outcome(text: str, fast: bool) -> Any:
    try:
        return _dump(parse_tree(text, "t.conf", fast), {})
    except InputError as exc:
        return ("error", str(exc), exc.line)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_text())
def test_fast_reader_reads_like_the_line_reader(text: str) -> None:
    assert _outcome(text, True) == _outcome(text, False), text


def test_plain_entries_cache_keys_tell_values_apart() -> None:
    """`Entry.texts` is a cache key: equal keys mean equal values, for lazily read entries too."""
    text = ("config firewall policy\n" + "".join(
        f'    edit {n}\n        set service {svc}\n        set name "n{n % 2}"\n    next\n'
        for n, svc in enumerate(('"SMTP"', '"SMTP"', "SMTP", '"HTTPS"', '"SMTP" "HTTPS"'), 1)) + "end\n")
    table = parse_tree(text, "t.conf").blocks[0]
    seen: dict[tuple[object, ...], list[str]] = {}
    for entry in table.entries:
        key = entry.texts(("service", "name"))
        values = entry.values("service") + entry.values("name")
        assert seen.setdefault(key, values) == values
    assert [e.values("service") + e.values("name") for e in table.entries] == [
        ["SMTP", "n1"], ["SMTP", "n0"], ["SMTP", "n1"], ["HTTPS", "n0"], ["SMTP", "HTTPS", "n1"]]
