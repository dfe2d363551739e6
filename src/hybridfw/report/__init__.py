"""Renderers of a readiness result: terminal, JSON, HTML (one module each, listed in `RENDERERS`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hybridfw.plugins import PlugIn, find, names

if TYPE_CHECKING:
    from hybridfw.report.interface import ReportRenderer

RENDERERS: tuple[PlugIn[type[ReportRenderer]], ...] = (
    PlugIn("terminal", "hybridfw.report.terminal", "TerminalReport"),
    PlugIn("json", "hybridfw.report.json_doc", "JsonReport"),
    PlugIn("html", "hybridfw.report.html", "HtmlReport"),
)


def renderer(name: str, **options: object) -> ReportRenderer:
    """The renderer for `name`, built with `options` (e.g. color=, width= for the terminal)."""
    found = find(RENDERERS, name)
    if found is None:
        raise LookupError(f"no report renderer {name!r} (a bug: the callers name one of "
                          f"{', '.join(formats())})")
    return found.load()(**options)


def formats() -> tuple[str, ...]:
    return names(RENDERERS)


__all__ = ["RENDERERS", "ReportRenderer", "formats", "renderer"]
