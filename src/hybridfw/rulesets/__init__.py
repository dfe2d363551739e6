"""Firewall ruleset parsers: one module per format, found through a registry.

Every module in this package except the interface's own (`interface`, `model`, `scope`,
`lazy`, `ports`) and names starting with ``_`` is imported on first use; each registers its
parser with `@register_parser`. So adding a format means adding a module, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from hybridfw.errors import InputError
from hybridfw.rulesets.interface import RulesetParser, registered
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

AUTO = "auto"
_SURE = 0.6  # a confidence at or above this is a clear answer
_MARGIN = 0.2  # the winner must lead the runner-up by this much
MAX_FILE_BYTES = 256 * 1024 * 1024

_loaded = False
# The modules of the interface itself: the model, the scope, lazy rules and port helpers.
_NOT_PARSERS = frozenset({"interface", "model", "scope", "lazy", "ports"})


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_PARSERS and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def parsers() -> Mapping[str, RulesetParser]:
    """Every registered parser by name."""
    _load_all()
    return dict(sorted(registered().items()))


def format_names() -> list[str]:
    return [AUTO, *parsers()]


def get_parser(name: str) -> RulesetParser:
    found = parsers().get(name)
    if found is None:
        raise InputError(f"unknown ruleset format {name!r}; use one of {', '.join(format_names())}",
                         field="format")
    return found


def detect_format(text: str, path: str = "<input>") -> RulesetParser:
    """The parser that clearly recognises `text`, else InputError asking for --format."""
    scores = sorted(((p.detect(text), p.name) for p in parsers().values()), reverse=True)
    best_score, best = scores[0]
    runner_score, runner = scores[1] if len(scores) > 1 else (0.0, "")
    if best_score >= _SURE and best_score - runner_score >= _MARGIN:
        return parsers()[best]
    if best_score >= _SURE or runner_score >= 0.3:
        raise InputError(f"looks like {best} or {runner}, use --format", path=path, field="format")
    raise InputError("cannot tell the ruleset format, use --format "
                     f"({'|'.join(format_names())})", path=path, field="format")


def read_ruleset_text(path: Path) -> str:
    """Read a ruleset file as text; unreadable or binary files are InputErrors."""
    try:
        if path.is_dir():
            raise InputError("is a directory: name the ruleset file(s) in it", path=str(path))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError("file too large for a ruleset", path=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=str(path)) from exc
    if b"\x00" in data[:65536]:
        raise InputError("binary file, not a ruleset", path=str(path))
    text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise InputError("empty file: no rules to audit", path=str(path))
    return text


def parse_text(text: str, path: str, fmt: str = AUTO, scope: Scope | None = None) -> Ruleset:
    """Parse one ruleset text; with `scope`, only what an audit of it needs (see `Scope`)."""
    parser = detect_format(text, path) if fmt == AUTO else get_parser(fmt)
    return parser.parse(text, path) if scope is None else parser.parse_scoped(text, path, scope)


def parse_files(paths: Sequence[Path], fmt: str = AUTO, scope: Scope | None = None) -> Ruleset:
    """Parse one or several files into one view (v4 + v6 files combine)."""
    if not paths:
        raise InputError("no ruleset file given")
    rulesets = [parse_text(read_ruleset_text(p), str(p), fmt, scope) for p in paths]
    combined = rulesets[0]
    for other in rulesets[1:]:
        combined = combined.merged(other)
    return combined


__all__ = ["AUTO", "detect_format", "format_names", "get_parser", "parse_files", "parse_text",
           "parsers", "read_ruleset_text"]
