"""Renderers of a readiness result: terminal, JSON, HTML (one module each, found by name)."""

from __future__ import annotations

import importlib

from hybridfw.report.interface import ReportRenderer

# format name -> module holding RENDERER_CLASS
RENDERER_MODULES = {"terminal": "terminal", "json": "json_doc", "html": "html"}


def renderer(name: str, **options: object) -> ReportRenderer:
    """The renderer for `name`, built with `options` (e.g. color=, width= for the terminal)."""
    module = importlib.import_module(f"hybridfw.report.{RENDERER_MODULES[name]}")
    cls: type[ReportRenderer] = module.RENDERER_CLASS
    return cls(**options)


def formats() -> tuple[str, ...]:
    return tuple(RENDERER_MODULES)


__all__ = ["ReportRenderer", "formats", "renderer"]
