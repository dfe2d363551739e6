"""Terminal layouts that survive copy and paste at any width.

A table is used only when every column fits: columns of whole lines (CIDRs, host names, codes,
rule lines, commands) at their longest line, prose columns at their longest word. Otherwise the
same rows are printed as a list, one block per row. Whole lines are emitted as segments, which
rich never wraps or cuts: on a narrow terminal the terminal folds them visually, and copying
gives back the one line. Prose wraps at spaces only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.text import Text

_TABLE_OVERHEAD = 3  # per column: a border and one space of padding each side (+1 for the edge)


@dataclass(frozen=True)
class Column:
    header: str
    prose: bool = False  # may wrap at spaces; otherwise each line of a cell stays whole


def _plain_lines(cell: str) -> list[str]:
    from rich.text import Text

    return Text.from_markup(cell).plain.split("\n")


def column_need(column: Column, cells: Iterable[str]) -> int:
    """The narrowest width at which no line of the column is cut."""
    from rich.cells import cell_len

    lines = [line for cell in cells for line in _plain_lines(cell)] + [column.header]
    if column.prose:
        return max((cell_len(word) for line in lines for word in line.split()), default=1)
    return max(cell_len(line) for line in lines)


def table_fits(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> bool:
    need = sum(column_need(c, (r[i] for r in rows)) for i, c in enumerate(columns))
    return need + _TABLE_OVERHEAD * len(columns) + 1 <= width


class WholeLines:
    """Lines rich prints as they are: never wrapped, never cut, never padded."""

    def __init__(self, lines: Iterable[Text]) -> None:
        self.lines = list(lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for line in self.lines:
            yield from line.render(console, end="")
            yield Segment.line()


class Prose:
    """Plain text wrapped at spaces to the width it is given, never inside a word (a CIDR or a
    host name longer than the line stays whole); no trailing padding."""

    def __init__(self, text: str, indent: int = 0, style: str = "") -> None:
        self.text = text
        self.indent = indent
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        import textwrap

        from rich.segment import Segment

        style = console.get_style(self.style) if self.style else None
        room = max(20, options.max_width - self.indent)
        for paragraph in self.text.split("\n"):
            for line in textwrap.wrap(paragraph, room, break_long_words=False,
                                      break_on_hyphens=False) or [""]:
                yield Segment(" " * self.indent + line, style)
                yield Segment.line()


def make_console(**options: Any) -> Console:
    """A rich Console whose print() does not crop: whole lines (WholeLines) reach the terminal
    entire, which folds them visually; everything else is laid out to the width as usual."""
    from rich.console import Console as RichConsole

    class UncroppedConsole(RichConsole):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            kwargs.setdefault("crop", False)
            super().print(*objects, **kwargs)

    return UncroppedConsole(**options)


def whole(markup: str, indent: int = 0) -> Iterator[Text]:
    """The lines of a markup string as Text, each indented."""
    from rich.text import Text

    for line in Text.from_markup(markup).split("\n", allow_blank=True):
        yield Text(" " * indent) + line if indent else line


def table_or_list(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                  width: int) -> RenderableType:
    """A table when it fits in `width` without cutting a line, else one block per row."""
    if table_fits(columns, rows, width):
        return _table(title, columns, rows)
    return _list(title, columns, rows)


def _table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> RenderableType:
    from rich.table import Table

    table = Table(title=title, title_justify="left", expand=False, show_lines=True)
    for i, col in enumerate(columns):
        need = column_need(col, (r[i] for r in rows))
        table.add_column(col.header, no_wrap=not col.prose, min_width=need,
                         overflow="fold" if col.prose else "ignore")
    for row in rows:
        table.add_row(*row)
    return table


def _list(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> RenderableType:
    from rich.markup import escape
    from rich.text import Text

    lines: list[Text] = [*whole(f"[bold]{escape(title)}[/]")] if title else []
    label = max(len(c.header) for c in columns[1:]) + 2 if len(columns) > 1 else 0
    for row in rows:
        lines.extend(whole(f"[bold]{row[0]}[/]"))
        for col, cell in zip(columns[1:], row[1:], strict=True):
            cell_lines = list(whole(cell))
            head = Text(f"  {col.header}:".ljust(label + 2))
            lines.append(head + cell_lines[0] if cell_lines else head)
            lines.extend(Text(" " * (label + 2)) + more for more in cell_lines[1:])
    return WholeLines(lines)
