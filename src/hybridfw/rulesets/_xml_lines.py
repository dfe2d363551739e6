"""Exact start-tag lines for XML elements past line 65,534, where libxml2's own are wrong.

libxml2 keeps an element's line in 16 bits: from line 65,535 on it stores 65,535 and
`xmlGetLineNo` (lxml's ``sourceline``) answers with the line of the element's first child node,
else of its next sibling, else of its previous one (tree.c). That is a later line when the
content starts on a later line (``<rule>`` then ``<type>`` on the next line), and an earlier one
for an empty last child after a multi-line sibling. Parser options do not help: with
XML_PARSE_BIG_LINES (lxml sets it) only text nodes keep big lines (SAX2.c).

Below that line libxml2's line is exact: the line of the start tag's closing ``>`` (the line
it had read to when it made the element), counting line feeds only (as libxml2 does: a lone CR
is no line end for it). `Lines` gives the same for every element of a big document: it reads
the start tags of the bytes libxml2 parsed (skipping comments, CDATA, processing instructions
and end tags) in document order, which is the order of the tree's elements, and maps an element
to its start tag by walking the tree (previous sibling, else parent) to one already placed.
Small documents never get a `Lines` (`for_tree`), so their path is libxml2's alone. The
compiled build reads the start tags in C (``_xmltags.c``; `tags` is the reference).
"""

from __future__ import annotations

import logging
import re
from array import array
from typing import Any, TypeAlias

try:  # the optional compiled build (hatch_build.py); `tags` below is the reference
    from hybridfw.rulesets import _xmltags
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _xmltags = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
Ints: TypeAlias = "array[int] | memoryview"

BIG = 65535  # libxml2 stores this for every element at or past this line (USHRT_MAX)

# One piece of markup: end tag, comment, CDATA section, PI / XML declaration, other
# declaration (a DOCTYPE never gets here: parse_xml refuses it first) or start tag. Attribute
# values are quoted and hold no '<' but may hold '>'.
_MARKUP = re.compile(
    rb"<(?:/[^>]*>|!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|![^>]*>"
    rb"|[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>)", re.S)
_NAME_END = re.compile(rb"[\s/>]")
_NAME_ENDS = frozenset(b" \t\r\n/>")
_SLASH, _BANG, _QUERY = ord("/"), ord("!"), ord("?")


def for_tree(root: Any, data: bytes) -> Lines | None:
    """A `Lines` for the tree lxml parsed from `data` (its root element `root`) when some element
    of it is on line 65,535 or later; None when libxml2's lines are all exact."""
    last = root  # the last element in document order: it is at or past that line if any is
    while True:
        try:
            last = last[-1]
        except IndexError:
            break
    # Counting the lines only when libxml2's answer may be its previous sibling's: a big
    # document's count is ~2 % of its parse (benchmarks/audit_vendor.py panos, 20k rules)
    if (last.sourceline or 0) >= BIG or (_maybe_prev(last) and data.count(b"\n") >= BIG - 1):
        return Lines(data)
    return None


class Lines:
    """The start-tag lines of one parsed document's elements (see the module docstring).

    The tag index is read on the first element that needs it; `line` remembers the last element
    it placed, so siblings asked in order cost one step each."""

    __slots__ = ("_counted", "_data", "_end", "_gts", "_last", "_starts")

    def __init__(self, data: bytes) -> None:
        self._data = data
        # `tags`: per start tag, the offset of its '<', of its '>', the next tag after its element
        self._starts: Ints | None = None
        self._gts: Ints = array("q")
        self._end: Ints = array("q")
        self._counted = (0, 1)  # (offset, its line): where `_line_of` counted to
        self._last: tuple[Any, int] | None = None

    def line(self, el: Any) -> int:
        """The line of lxml element `el`'s start tag (of its '>'), as libxml2 gives it below
        line 65,535."""
        got = int(el.sourceline or 0)
        if got < BIG and not _maybe_prev(el):
            return got
        return self.exact(el)

    def exact(self, el: Any) -> int:
        """`line` read from the document's bytes, whatever libxml2 says (tests compare the two
        below line 65,535)."""
        if self._starts is None:
            self._index()
        at = self._place(el)
        if at is None or not self._named(at, el):  # never seen; libxml2's answer rather than none
            log.debug("no start tag found for <%s> (libxml2 says line %s)", el.tag, el.sourceline)
            return int(el.sourceline or 0)
        return self._line_of(at)

    def _index(self) -> None:
        got = _xmltags.tags(self._data) if _xmltags is not None else None
        if got is not None:  # in C: a 1M-line PAN-OS XML file's index 1.26 s -> 0.044 s (CPU)
            self._starts, self._gts, self._end = (memoryview(b).cast("q") for b in got)
        else:
            self._starts, self._gts, self._end = tags(self._data)

    def _line_of(self, at: int) -> int:
        """The line of start tag `at`'s '>', counted on from the last one asked (in order)."""
        gt = self._gts[at]
        offset, line = self._counted
        if gt < offset:
            offset, line = 0, 1
        line += self._data.count(b"\n", offset, gt)
        self._counted = (gt, line)
        return line

    def _place(self, el: Any) -> int | None:
        """The index of `el`'s start tag: from the last placed element, an earlier sibling or
        the parent (placed the same way), stepping over whole elements."""
        hops = 0
        cur = el
        while True:
            if self._last is not None and cur is self._last[0]:
                at = self._last[1]
                break
            prev = cur.getprevious()
            if prev is None:
                parent = cur.getparent()
                if parent is None:  # the root: the first start tag
                    at = 0
                    break
                above = self._place(parent)
                if above is None:
                    return None
                at = above + 1
                break
            hops += 1
            cur = prev
        end = self._end
        for _ in range(hops):
            at = end[at]
        if at >= len(end):
            return None
        self._last = (el, at)
        return at

    def _named(self, at: int, el: Any) -> bool:
        """Whether start tag `at` bears `el`'s name (a check that tree and tags line up)."""
        assert self._starts is not None
        data, start = self._data, self._starts[at] + 1
        local = str(el.tag).rpartition("}")[2].encode()
        if data.startswith(local, start) and data[start + len(local)] in _NAME_ENDS:
            return True  # the common case first: this check -30 % CPU (a 1M-line PAN-OS file)
        stop = _NAME_END.search(data, start)
        return data[start:stop.start() if stop else len(data)].rpartition(b":")[2] == local


def tags(data: bytes) -> tuple[array[int], array[int], array[int]]:
    """Per start tag of `data`, in document order: the offset of its '<', of its '>', and the
    index of the first start tag after its element (the reference for `_xmltags.tags`)."""
    starts, gts, end = array("q"), array("q"), array("q")
    open_: list[int] = []
    for m in _MARKUP.finditer(data):
        at = m.start()
        kind = data[at + 1]
        if kind == _SLASH:
            if open_:
                end[open_.pop()] = len(starts)
        elif kind != _BANG and kind != _QUERY:
            gt = m.end() - 1
            if data[gt - 1] != _SLASH:  # not an empty-element tag
                open_.append(len(starts))
            starts.append(at)
            gts.append(gt)
            end.append(len(starts))
    return starts, gts, end


def _maybe_prev(el: Any) -> bool:
    """Whether libxml2 may have answered `el`'s line from its previous sibling: it has no child
    node, no text, no tail and no next sibling (the only way its answer falls below 65,535)."""
    return el.text is None and el.tail is None and not len(el) and el.getnext() is None
