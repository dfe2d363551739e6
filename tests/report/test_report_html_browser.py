"""The HTML report in real headless Chromium: loads clean, shows what matters, escapes input."""

from __future__ import annotations

import dataclasses
import struct
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.browser import load, print_pdf, screenshot
from _support.check import STALE_V4, STALE_V6, TOPOLOGY, seed_history
from hybridfw.check import run_check
from hybridfw.check.interface import ReadinessResult
from hybridfw.model import Finding, Severity
from hybridfw.report import renderer


def stale_report(home: Path) -> ReadinessResult:
    seed_history(home, "2026112800")
    return run_check(TOPOLOGY, firewalls=[STALE_V4, STALE_V6])


def write_html(result: ReadinessResult, path: Path) -> Path:
    path.write_text(renderer("html").render(result), encoding="utf-8")
    return path


def test_console_capture_sees_errors_and_blocked_fetches(tmp_path: Path) -> None:
    """The negative control: the helper must report what a broken page does."""
    page = tmp_path / "broken.html"
    page.write_text('<html><head><meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
                    "<script>console.error('boom'); undefinedFunction();</script>"
                    '<img src="http://127.0.0.1:9/x.png"></body></html>')
    run = load(page, tmp_path / "profile")
    text = "\n".join(run.console)
    assert "boom" in text and "undefinedFunction" in text and "Content Security Policy" in text


def test_report_loads_clean_with_key_elements(_isolated_home: Path, tmp_path: Path) -> None:
    page = write_html(stale_report(_isolated_home), tmp_path / "report.html")
    run = load(page, tmp_path / "profile")
    assert run.console == []  # no errors, no warnings, no blocked fetches, nothing logged
    dom = run.dom
    assert 'data-ready="yes"' in dom  # the page's script ran to its end
    assert 'id="verdict" class="badge v-broken"' in dom
    assert dom.count('class="flow"') == 5
    assert 'data-flow="smtp-inbound"' in dom
    assert dom.count('class="seg-missing"') >= 2  # IPv4 and IPv6 of smtp-inbound
    assert 'class="seg-stale"' in dom and 'class="seg-allowed"' in dom
    assert dom.count('class="version"') == 4  # the timeline: four stored versions
    assert "audit.missing" in dom and 'data-severity="error"' in dom
    assert ' hidden=""' not in dom  # every finding row shown with the default filter
    assert 'id="fixes"' in dom


def test_report_screenshot(_isolated_home: Path, tmp_path: Path) -> None:
    page = write_html(stale_report(_isolated_home), tmp_path / "report.html")
    png = screenshot(page, tmp_path / "profile", tmp_path / "report.png")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a rendered page, not a blank one


HOSTILE = ('<img src=x onerror="console.error(1)">', "</script><script>console.error(2)</script>",
           '"><svg onload=console.error(3)>', "&amp; <b>bold</b> ' \" `")


def hostile_result(result: ReadinessResult, text: str) -> ReadinessResult:
    finding = Finding(Severity.ERROR, f"x.{text}", text, evidence=(text,), fix=text, subject=text)
    flows = tuple(dataclasses.replace(fr, flow=dataclasses.replace(fr.flow, reason=text))
                  for fr in result.flows)
    return dataclasses.replace(result, topology=text, data_label=text, findings=(finding,),
                               flows=flows)


def test_hostile_text_is_shown_not_run(_isolated_home: Path, tmp_path: Path) -> None:
    base = stale_report(_isolated_home)
    page = write_html(hostile_result(base, " ".join(HOSTILE)), tmp_path / "hostile.html")
    run = load(page, tmp_path / "profile")
    assert run.console == []
    assert "<img src=x" not in run.dom and "<svg onload" not in run.dom
    assert "&lt;img src=x onerror=" in run.dom


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_BASE: list[ReadinessResult] = []


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_round_trips_as_text(text: str) -> None:
    """Oracle: whatever the text, the page's tags are the same as for harmless text, and the
    text comes back verbatim from an HTML parser."""
    if not _BASE:
        _BASE.append(run_check(TOPOLOGY))
    html = renderer("html").render(hostile_result(_BASE[0], text))
    safe = renderer("html").render(hostile_result(_BASE[0], "plain"))
    got, ref = _Text(), _Text()
    got.feed(html)
    ref.feed(safe)
    assert got.tags == ref.tags
    assert text in "".join(got.text)


def test_terminal_report_prints_markup_like_text_verbatim(_isolated_home: Path) -> None:
    """Rule comments and log lines may look like rich markup ('[/bold]'); they are text."""
    text = "msg [/bold] [red]not red[/red] [link=x]"
    result = hostile_result(run_check(TOPOLOGY), text)
    out = renderer("terminal", width=400).render(result)
    assert text in out


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_text_colour_meets_wcag_aa() -> None:
    from hybridfw.report.html import _CSS, TEXT_COLOURS

    assert round(contrast("#ef6c00", "#ffffff"), 2) == 3.08  # the old orange: the check can fail
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    for selector, fg, bg in TEXT_COLOURS:
        assert contrast(fg, bg) >= 4.5, (selector, fg, bg, contrast(fg, bg))
        assert f"{selector}{{color:{fg}" in _CSS
    # No other text colour sneaks into the stylesheet.
    import re

    declared = set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", _CSS))
    assert declared <= {fg for _, fg, _ in TEXT_COLOURS}, declared


def test_bars_are_proportional() -> None:
    import re

    from hybridfw.check.interface import FamilyCoverage
    from hybridfw.report.html import coverage_bar

    svg = coverage_bar(FamilyCoverage(4, "inbound", 400, 100, 300, 0))
    widths = {name: float(w) for name, w in
              re.findall(r'class="seg-(\w+)" x="[\d.]+" y="0" width="([\d.]+)"', svg)}
    assert widths["missing"] == 3 * widths["allowed"]
    assert "allowed 25%, missing 75%" in svg


def test_print_layout_fits_and_hides_controls(_isolated_home: Path, tmp_path: Path) -> None:
    page = write_html(stale_report(_isolated_home), tmp_path / "report.html")
    pages = print_pdf(page, tmp_path / "profile", tmp_path / "report.pdf")
    assert 1 <= pages <= 8, pages  # the stale example on A4/Letter, flows and findings first
    print(f"print-to-PDF: {pages} pages")
    css = page.read_text().split("@media print{")[1].split("\n}\n")[0]
    assert ".filters,button{display:none}" in css and "#findings-section{order:2}" in css
