"""Firewall ruleset parsers: one module per format, listed in `PARSERS`.

Adding a format means adding a module with a `RulesetParser` subclass and one line in `PARSERS`
(the mechanism is `hybridfw.plugins`); a module is imported only when its format is used, so
`hybridfw audit --help` lists the formats without loading any parser. The interface's own
modules (`interface`, `model`, `scope`, `lazy`, `ports`), `alias_lists` and `_helpers` are not
parsers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from hybridfw.errors import InputError
from hybridfw.heap import return_big_blocks
from hybridfw.plugins import PlugIn, find, names
from hybridfw.rulesets._detect import SCORES

try:  # the optional compiled build's file reader (hatch_build.py); `_read_text` falls back
    import hybridfw.rulesets._textfile as _textfile
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _textfile = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from hybridfw.rulesets.interface import RulesetParser
    from hybridfw.rulesets.model import Ruleset
    from hybridfw.rulesets.scope import Scope

AUTO = "auto"
_SURE = 0.6  # a confidence at or above this is a clear answer
_MARGIN = 0.2  # the winner must lead the runner-up by this much
MAX_FILE_BYTES = 256 * 1024 * 1024

# The --format values, in the order `audit --help` shows them (detection asks every parser).
PARSERS: tuple[PlugIn[type[RulesetParser]], ...] = (
    PlugIn("iptables", "hybridfw.rulesets.iptables", "IptablesParser"),
    PlugIn("nft", "hybridfw.rulesets.nft_text", "NftTextParser"),
    PlugIn("nft-json", "hybridfw.rulesets.nft_json", "NftJsonParser"),
    PlugIn("asa", "hybridfw.rulesets.asa", "AsaParser"),
    PlugIn("panos", "hybridfw.rulesets.panos_xml", "PanosXmlParser"),
    PlugIn("panos-set", "hybridfw.rulesets.panos_set", "PanosSetParser"),
    PlugIn("pfsense", "hybridfw.rulesets.pfsense", "PfsenseParser"),
    PlugIn("opnsense", "hybridfw.rulesets.opnsense", "OpnsenseParser"),
    PlugIn("list", "hybridfw.rulesets.plain_list", "PlainListParser"),
    PlugIn("fortigate", "hybridfw.rulesets.fortigate", "FortiGateParser"),
    PlugIn("srx", "hybridfw.rulesets.srx", "SrxParser"),
    PlugIn("windows-netsh", "hybridfw.rulesets.windows_netsh", "WindowsNetshParser"),
    PlugIn("windows-json", "hybridfw.rulesets.windows_json", "WindowsJsonParser"),
)


def parsers() -> Mapping[str, RulesetParser]:
    """Every parser by name (sorted), each module imported on this first call."""
    return {name: _parser(name) for name in sorted(names(PARSERS))}


@cache
def _parser(name: str) -> RulesetParser:
    plugin = find(PARSERS, name)
    assert plugin is not None, name
    return plugin.load()()


def format_choices() -> str:
    """'auto|iptables|nft|...' for help texts (no parser module is imported)."""
    return "|".join((AUTO, *names(PARSERS)))


def format_names() -> list[str]:
    return [AUTO, *sorted(names(PARSERS))]


def get_parser(name: str) -> RulesetParser:
    """The parser of format `name` (only its module is imported)."""
    if find(PARSERS, name) is None:
        raise InputError(f"unknown ruleset format {name!r}; use one of {', '.join(format_names())}",
                         field="format")
    return _parser(name)


def detect_format(text: str, path: str = "<input>") -> RulesetParser:
    """The parser that clearly recognises `text`, else InputError asking for --format."""
    # Scored without the parser modules (rulesets._detect), only the winner's module imported:
    # one-rule audit -40 ms CPU, -2.7 MiB.
    scores = sorted(((SCORES[name](text), name) for name in names(PARSERS)), reverse=True)
    best_score, best = scores[0]
    runner_score, runner = scores[1] if len(scores) > 1 else (0.0, "")
    if best_score >= _SURE and best_score - runner_score >= _MARGIN:
        return _parser(best)
    if best_score >= _SURE or runner_score >= 0.3:
        raise InputError(f"looks like {best} or {runner}, use --format", path=path, field="format")
    raise InputError("cannot tell the ruleset format, use --format "
                     f"({'|'.join(format_names())})", path=path, field="format")


def read_ruleset_text(path: Path) -> str:
    """Read a ruleset file as text; unreadable or binary files are InputErrors."""
    # Freed file-sized buffers go back to the system: benchmarks/audit.py --all-relevant peak
    # RSS 86.9 -> 80.1 MiB (hybridfw.heap).
    return_big_blocks()
    try:
        if path.is_dir():
            raise InputError("is a directory: name the ruleset file(s) in it", path=str(path))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError("file too large for a ruleset", path=str(path))
        text = _read_text(path)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=str(path)) from exc
    # No stripped copy of a big file: benchmarks/audit.py default peak RSS 73.3 -> 67.0 MiB,
    # with one file at a time in `audit.patch.fix_diffs`.
    if not text or text.isspace():
        raise InputError("empty file: no rules to audit", path=str(path))
    return text


def _read_text(path: Path) -> str:
    """The file decoded as UTF-8 (errors replaced); InputError when its first 64 KiB hold a
    NUL byte. An ASCII file is read straight into its str, without a bytes copy next to it
    (`_textfile.c`): benchmarks/audit.py --all-relevant, the fix phase's peak RSS -3.7 MiB."""
    text = _textfile.read_ascii(path) if _textfile is not None else None
    if text is not None:  # one character per byte
        if "\x00" in text[:65536]:
            raise InputError("binary file, not a ruleset", path=str(path))
        return text
    data = path.read_bytes()  # the reference
    if b"\x00" in data[:65536]:
        raise InputError("binary file, not a ruleset", path=str(path))
    return data.decode("utf-8", errors="replace")


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


__all__ = ["AUTO", "PARSERS", "detect_format", "format_choices", "format_names", "get_parser",
           "parse_files", "parse_text", "parsers", "read_ruleset_text"]
