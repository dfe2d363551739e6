"""HTML report: one self-contained page (inline CSS, JS and SVG; no external fetches).

Every piece of text from the result goes through `escape`; the page's Content-Security-Policy
forbids loading anything, so a mistake shows up as a console error in the browser test instead of
a silent fetch.
"""

from __future__ import annotations

import json
import math
from html import escape

from hybridfw.check.interface import (
    DataVersion,
    DropSeen,
    FamilyCoverage,
    FlowReadiness,
    ReadinessResult,
)
from hybridfw.counts import readable
from hybridfw.model import Finding
from hybridfw.report.interface import ReportRenderer, coverage_line, share

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_SEGMENTS = (("allowed", "#2e7d32"), ("missing", "#c62828"), ("stale", "#f9a825"))
_BAR_WIDTH = 320.0

# Every text colour of the page with the background it sits on. The CSS below is made from this
# table and the tests check each pair against WCAG 2 AA (contrast ratio at least 4.5:1).
TEXT_COLOURS = (
    ("body", "#1b1b1b", "#ffffff"),
    ("th", "#1b1b1b", "#f5f5f5"),
    ("pre", "#1b1b1b", "#f7f7f7"),
    (".muted", "#595959", "#ffffff"),
    (".ev", "#4d4d4d", "#ffffff"),
    (".s-error", "#b71c1c", "#ffffff"),
    (".s-warning", "#8a4b00", "#ffffff"),
    (".s-info", "#0d47a1", "#ffffff"),
    (".v-ready", "#ffffff", "#2e7d32"),
    (".v-at-risk", "#ffffff", "#8a4b00"),
    (".v-not-checked", "#ffffff", "#595959"),
    (".v-broken", "#ffffff", "#b71c1c"),
    (".pct", "#1b1b1b", "#ffffff"),
)


def _colour_css() -> str:
    rules = []
    for selector, fg, bg in TEXT_COLOURS:
        background = f";background:{bg}" if bg != "#ffffff" or selector.startswith(".v-") else ""
        rules.append(f"{selector}{{color:{fg}{background}}}")
    return "".join(rules)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:.35em .5em;
text-align:left;vertical-align:top}
.badge{display:inline-block;padding:.1em .6em;border-radius:1em;font-weight:600}
.s-error,.s-warning{font-weight:600}
pre{border:1px solid #ddd;padding:.7em;overflow:auto;font-size:12px;white-space:pre-wrap;
overflow-wrap:anywhere}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;
vertical-align:middle}code{font-size:12px}.ev{font-size:12px}.cov{margin-bottom:.4em}
svg.bar{max-width:100%}.pct{font-size:12px}
#flows td:first-child{width:24em}
@media print{
.filters,button{display:none}
body{max-width:none;margin:0;display:flex;flex-direction:column}
header{order:0}#flows{order:1}#findings-section{order:2}#fixes{order:3}#timeline{order:4}
tr,.cov,pre{break-inside:avoid}h2{break-after:avoid}
a{color:inherit;text-decoration:none}
}
""" + _colour_css()

_JS = """
document.addEventListener('DOMContentLoaded', function () {
  var boxes = document.querySelectorAll('input[data-severity]');
  function apply() {
    var show = {};
    boxes.forEach(function (b) { show[b.dataset.severity] = b.checked; });
    document.querySelectorAll('#findings tbody tr').forEach(function (row) {
      row.hidden = !show[row.dataset.severity];
    });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  document.querySelectorAll('button[data-copy]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var text = document.getElementById(btn.dataset.copy).textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text).catch(function () {}); }
    });
  });
  apply();
  document.body.dataset.ready = 'yes';
});
"""


def _log_len(count: int) -> float:
    """Bar length for an address count: log2(1+n), so a /32 next to a /14 stays visible."""
    return math.log2(1 + count)


def coverage_bar(cov: FamilyCoverage) -> str:
    """An SVG bar whose allowed / missing / stale segments are proportional to their address
    counts (the full bar is the flow's required addresses plus the stale ones; a segment too
    thin to see is drawn 2 px wide); the percentages are printed beside it. Open-to-any is said
    in words: drawn to scale it would be the whole bar."""
    total = cov.allowed + cov.missing + cov.stale
    x = 0.0
    rects, shares = [], []
    for name, colour in _SEGMENTS:
        count = getattr(cov, name)
        if not count or not total:
            continue
        width = max(2.0, _BAR_WIDTH * count / total)
        rects.append(f'<rect class="seg-{name}" x="{x:.1f}" y="0" width="{width:.1f}" height="14" '
                     f'fill="{colour}"><title>{name}: {readable(count, cov.family)}</title></rect>')
        shares.append(f"{name} {share(count, total)}")
        x += width
    label = coverage_line(cov)
    return (f'<div class="cov"><svg class="bar" role="img" aria-label="{escape(label)}" '
            f'width="{max(x, 1):.0f}" height="14">{"".join(rects)}</svg> '
            f'<span class="pct">{escape(", ".join(shares))}</span>'
            f'<div class="muted">{escape(label)}</div></div>')


def _flow_row(fr: FlowReadiness) -> str:
    ports = ",".join(str(p) for p in fr.flow.ports)
    verdict = str(fr.verdict)
    bars = "".join(coverage_bar(c) for c in fr.coverage)
    if not fr.coverage:
        bars = '<span class="muted">not audited by address (no firewall given, or names only)</span>'
    if not fr.checked_by:
        bars += ('<div class="muted">nothing checked this flow'
                 f'{" (left out with --allow-unchecked)" if fr.waived else ""}</div>')
    fqdns = fr.flow.source_fqdns + fr.flow.destination_fqdns
    names = (f"<details class=ev><summary>{len(fqdns)} names</summary>{escape(', '.join(fqdns))}"
             "</details>") if fqdns else ""
    return (f'<tr class="flow" data-flow="{escape(fr.flow.id)}"><td><b>{escape(fr.flow.id)}</b>'
            f'<div class="muted">{escape(fr.flow.reason)}</div>'
            f"{names}</td>"
            f'<td>{escape(fr.flow.direction)} {escape(fr.flow.protocol)}/{escape(ports)}</td>'
            f'<td><span class="badge v-{verdict.replace(" ", "-")}">{escape(verdict)}</span></td>'
            f"<td>{bars or '<span class=muted>names only</span>'}</td></tr>")


def _finding_row(f: Finding) -> str:
    sev = str(f.severity)
    ev = "".join(f"<div class=ev>{escape(e)}</div>" for e in f.evidence)
    fix = f"<div><b>fix:</b> <code>{escape(f.fix)}</code></div>" if f.fix else ""
    return (f'<tr data-severity="{sev}"><td class="s-{sev}">{sev}</td><td><code>{escape(f.code)}'
            f"</code></td><td>{escape(f.subject)}</td><td>{escape(f.message)}{ev}{fix}</td></tr>")


def timeline_svg(versions: tuple[DataVersion, ...]) -> str:
    """Versions left to right; added counts as bars upwards, removed downwards (log scale)."""
    if not versions:
        return '<p class="muted">No stored history yet: run <code>hybridfw endpoints update</code>.</p>'
    step, mid, scale = 90, 80, 60 / max(1.0, max(_log_len(max(v.added, v.removed)) for v in versions))
    parts = []
    for i, v in enumerate(versions):
        x = 20 + i * step
        up, down = _log_len(v.added) * scale, _log_len(v.removed) * scale
        tip = escape(f"{v.version} ({v.date:%Y-%m-%d}): +{v.added} / -{v.removed} address ranges")
        parts.append(
            f'<g class="version"><title>{tip}</title>'
            f'<rect x="{x}" y="{mid - up:.1f}" width="24" height="{up:.1f}" fill="#2e7d32"/>'
            f'<rect x="{x}" y="{mid}" width="24" height="{down:.1f}" fill="#c62828"/>'
            f'<circle cx="{x + 12}" cy="{mid}" r="4" fill="#1565c0"/>'
            f'<text x="{x + 12}" y="{mid + 78}" font-size="10" text-anchor="middle">'
            f"{escape(v.version)}</text></g>")
    width = 40 + step * len(versions)
    return (f'<svg id="timeline-svg" role="img" aria-label="endpoint data versions" width="{width}" '
            f'height="170"><line x1="10" y1="{mid}" x2="{width - 10}" y2="{mid}" stroke="#999"/>'
            f'{"".join(parts)}</svg>')


def _timeline_table(versions: tuple[DataVersion, ...]) -> str:
    rows = "".join(f"<tr><td>{escape(v.version)}</td><td>{v.date:%Y-%m-%d}</td><td>+{v.added}</td>"
                   f"<td>-{v.removed}</td></tr>" for v in versions)
    return (f"<table><thead><tr><th>version</th><th>date</th><th>added</th><th>removed</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>") if versions else ""


def drops_timeline(drops: tuple[DropSeen, ...]) -> str:
    """check --drops: per flow and source block, a bar from first to last drop on one time axis."""
    if not drops:
        return ""
    dated = [d for d in drops if d.first_seen and d.last_seen]
    start = min((d.first_seen for d in dated if d.first_seen), default=None)
    end = max((d.last_seen for d in dated if d.last_seen), default=None)
    span = max(1.0, (end - start).total_seconds()) if start and end else 1.0
    rows = []
    for d in sorted(drops, key=lambda d: (d.flow, d.klass, d.source)):
        bar = ""
        if start and d.first_seen and d.last_seen:
            x = 300 * (d.first_seen - start).total_seconds() / span
            w = max(3.0, 300 * (d.last_seen - d.first_seen).total_seconds() / span)
            bar = (f'<svg width="310" height="14" role="img" aria-label="first to last drop">'
                   f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="10" fill="#c62828"/></svg>')
        # &#8209; a non-breaking hyphen: each time stays on one line in a narrow column
        when = (f"{d.first_seen:%m&#8209;%d&nbsp;%H:%M:%S}<br>{d.last_seen:%m&#8209;%d&nbsp;%H:%M:%S}"
                if d.first_seen and d.last_seen else "no time in the log")
        rows.append(f"<tr><td>{escape(d.flow)}</td><td>{escape(d.klass)}</td><td>{escape(d.source)}</td>"
                    f"<td>{d.count}</td><td>{when}</td><td>{bar}</td></tr>")
    window = f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC" if start and end else "undated"
    return (f'<section id="drops"><h2>Drops in firewall logs</h2><p class="muted">Microsoft sources '
            f"the firewall's deny logs show dropped, per flow ({escape(window)}).</p><table><thead><tr>"
            f"<th>flow</th><th>class</th><th>source</th><th>drops</th><th>first / last</th><th>timeline"
            f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _fixes(result: ReadinessResult) -> str:
    if not result.fixes:
        return '<p class="muted">Nothing to add (or no firewall was audited).</p>'
    blocks = []
    for i, fix in enumerate(result.fixes):
        for j, (name, text) in enumerate(fix.files.items()):
            block_id = f"fix-{i}-{j}"
            blocks.append(f"<h3>{escape(fix.firewall)} &middot; {escape(fix.platform)} &middot; "
                          f'{escape(name)} <button data-copy="{block_id}">copy</button></h3>'
                          f'<pre id="{block_id}">{escape(text)}</pre>')
    return "".join(blocks)


def _unchecked(result: ReadinessResult) -> str:
    from hybridfw.report.terminal import unchecked_hint

    hint = unchecked_hint(result)
    return f'<p id="not-checked"><b>{escape(hint)}</b></p>' if hint else ""


def _severity_filter() -> str:
    return "".join(f'<label><input type="checkbox" data-severity="{s}" checked> {s}</label> '
                   for s in ("error", "warning", "info"))


class HtmlReport(ReportRenderer):
    name = "html"
    media_type = "text/html; charset=utf-8"

    def render(self, result: ReadinessResult) -> str:
        verdict = str(result.verdict)
        legend = "".join(f'<span style="background:{c}"></span>{n}' for n, c in _SEGMENTS)
        summary = json.dumps({"verdict": verdict, "flows": len(result.flows),
                              "findings": len(result.findings)}).replace("<", "\\u003c")
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hybridfw readiness: {escape(verdict)}</title><style>{_CSS}</style></head>
<body>
<header><h1>Exchange hybrid firewall readiness
<span id="verdict" class="badge v-{verdict.replace(' ', '-')}">{escape(verdict)}</span></h1>
<p class="muted">Topology <code>{escape(result.topology)}</code> &middot; endpoint data
{escape(result.instance)} <b>{escape(result.data_version)}</b> ({escape(result.data_label)},
{result.data_age_days} days old) &middot; generated {result.generated_at:%Y-%m-%d %H:%M} UTC
&middot; steps: {escape(", ".join(result.steps))}</p>{_unchecked(result)}</header>
<section id="flows"><h2>Flows</h2>
<p class="legend muted">Coverage per address family:{legend}. Segment lengths are proportional
to the number of addresses (a segment too small to see is drawn 2 px wide); the shares and the
exact counts are written next to each bar. <i>Stale</i> means an inbound rule lets addresses
through for this flow that Microsoft no longer publishes for it.</p>
<table><thead><tr><th>flow</th><th>protocol</th><th>verdict</th><th>coverage</th></tr></thead>
<tbody>{"".join(_flow_row(fr) for fr in result.flows)}</tbody></table></section>
<section id="timeline"><h2>Endpoint data versions</h2>
<p class="muted">Stored versions oldest to newest; green bars up: address ranges added, red bars
down: removed, against the version before (log scale).</p>
{timeline_svg(result.timeline)}{_timeline_table(result.timeline)}</section>{drops_timeline(result.drops)}
<section id="findings-section"><h2>Findings</h2><p class="filters">{_severity_filter()}</p>
<table id="findings"><thead><tr><th>severity</th><th>code</th><th>subject</th><th>message</th></tr>
</thead><tbody>{"".join(_finding_row(f) for f in result.findings)}</tbody></table></section>
<section id="fixes"><h2>Rules to add</h2>{_fixes(result)}</section>
<script type="application/json" id="summary">{summary}</script>
<script>{_JS}</script>
</body></html>
"""


