"""A fast read of `nft -j list ruleset` output for the scoped parse (`_nft_json_scoped`).

`json.loads` of a 100k-rule document builds ~1.5M Python objects, most of them the rules' expression
trees, which a scoped audit mostly leaves out. `scan` walks the ``nftables`` array item by item:
a rule item in the form nft prints (keys in nft's order, ``", "``/``": "`` separators, strings
of printable ASCII without escapes, integers) is matched by one regular expression and kept as
its text (`RawRule`); any other item is decoded by the standard JSON decoder at its position.

Why this is the same document: `_RULE` only matches text that is a valid JSON object (one copy
of the value pattern per container, separators checked by look-ahead, containers nested at most
`_DEPTH` deep), and it is tried only where an item starts, so a scan that reaches ``]}`` read a
valid document whose items are these. Such text is also exactly what `json.dumps` writes for
its value (unless an object repeats a key: the reader checks each shape's text once with
`json.dumps`), so a rule's expression text is the evidence text the full parse makes.
Anything else (other spacing, escapes, floats, deeper nesting, a damaged document) makes `scan`
return None or decode the item in full; the caller then reads the document as the full parse
does, which gives the same answer or the same input error.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

_STR = r'"[ !#-\[\]-~]*"'  # printable ASCII without '"' and '\': json.dumps writes it as it is
_INT = r"(?:0|-?[1-9][0-9]*)"  # no "-0": json.dumps writes it "0"
_DEPTH = 8  # containers within one expression (a concatenated verdict map needs 7)


def _value(depth: int) -> str:
    """A JSON value nested at most `depth` containers deep, in json.dumps' spelling."""
    value = f"(?:{_STR}|{_INT}|null|true|false)"
    for _ in range(depth):
        value = (f'(?:{_STR}|{_INT}|null|true|false'
                 f'|\\{{(?:{_STR}: {value}(?:, (?=")|(?=\\}})))*+\\}}'
                 f'|\\[(?:{value}(?:, (?!\\])|(?=\\])))*+\\])')
    return value


_NAME = r'"([ !#-\[\]-~]*)"'
_VALUE = _value(_DEPTH)
_NEXT = r"(?:, (?!\])|(?=\]))"  # after a list's value: a comma and another value, or the end
_COUNTER = r'\{"counter": \{"packets": (?:0|[1-9][0-9]*), "bytes": (?:0|[1-9][0-9]*)\}\}'
_RULE = re.compile(
    r'\{"rule": \{"family": ' + _NAME + r', "table": ' + _NAME + r', "chain": ' + _NAME
    + r', "handle": (0|[1-9][0-9]*)(?:, "comment": ' + _STR + r')?, "expr": \[('
    # A leading source match (`ip saddr [!=] VALUE`, VALUE a string or a prefix): split off.
    + r'(?:\{"match": \{"op": "(==|!=)", "left": \{"payload": \{"protocol": "(ip6?)", '
    + r'"field": "saddr"\}\}, "right": (?:' + _NAME + r'|\{"prefix": \{"addr": ' + _NAME
    + r', "len": (' + _INT + r')\}\})\}\}(?:, (?=\{)|(?=\])))?+'
    # The rest, a top-level counter (values of its own in each rule: it only observes) left out:
    # benchmarks/audit.py --format nft-json --named-sets-only --live-counters 11.1 -> 3.0 s CPU.
    + r'((?:(?!' + _COUNTER + r')' + _VALUE + _NEXT + r')*+)(?:' + _COUNTER + _NEXT + r')?+'
    + r'((?:' + _VALUE + _NEXT + r')*+))\]\}\}')
_HEAD = re.compile(r'[ \t\n\r]*\{"nftables": \[')
_TAIL = re.compile(r"\][ \t\n\r]*\}[ \t\n\r]*\Z")
_decode = json.JSONDecoder().raw_decode


class RawRule(NamedTuple):
    """A rule item as its text (the groups of `_RULE`)."""

    family: str
    table: str
    chain: str
    handle: str
    expr: str  # the expression list's text, without its brackets
    op: str | None  # the leading source match's "==" / "!=", None without one
    protocol: str  # "ip" / "ip6"
    value: str | None  # its value when a string
    addr: str | None  # its value when a prefix: address and length
    length: str | None
    before: str  # the expressions after the source match (all without one) up to a counter
    after: str  # those after the counter ("" without one)

    def rest(self) -> str:
        """The text of the expressions after the source match without the rule's first
        counter: the reader ignores a counter, so rules that differ only in its values (or
        where it is) share a shape."""
        if not self.after:
            return self.before[:-2] if self.before.endswith(", ") else self.before
        return self.before + self.after


def scan(text: str) -> list[Any] | None:
    """The items of the ``nftables`` array, rule items in nft's own form as ``{"rule":
    RawRule}``; None when the document is not one `scan` can read (the caller then decodes it
    with `json.loads`, which reads it or names what is wrong)."""
    head = _HEAD.match(text)
    if head is None:
        return None
    items: list[Any] = []
    pos = head.end()
    rule, decode = _RULE.match, _decode
    if text.startswith("]", pos):
        return items if _TAIL.match(text, pos) else None
    while True:
        found = rule(text, pos)
        if found is not None:
            items.append({"rule": RawRule(*found.groups())})
            pos = found.end()
        else:
            try:
                item, pos = decode(text, pos)
            except (ValueError, RecursionError):
                return None
            items.append(item)
        if text.startswith(", ", pos):
            pos += 2
            continue
        return items if _TAIL.match(text, pos) else None
