"""`serve --drops`: the deny logs' Microsoft drops in /report and in /metrics."""

from __future__ import annotations

from pathlib import Path

from _support.drops import DATA, TOPOLOGY
from hybridfw.serve.metrics import metrics_text
from hybridfw.serve.refresh import RefreshSettings
from hybridfw.serve.server import prepare


def test_metrics_and_report_carry_the_drops(_isolated_home: Path) -> None:
    state, _ = prepare(TOPOLOGY, _isolated_home, RefreshSettings(None, None, None),
                       (DATA / "netfilter-syslog.log", DATA / "asa.log"))
    text = metrics_text(state)
    assert "# TYPE hybridfw_drops_total gauge" in text
    # netfilter-syslog.log has 4 published drops on smtp-inbound, asa.log 3.
    assert 'hybridfw_drops_total{flow="smtp-inbound",class="published"} 7' in text
    assert 'hybridfw_drops_total{flow="smtp-inbound",class="exchange-unlisted"} 3' in text
    assert 'class="not-microsoft"' not in text
    assert b'id="drops"' in state.published.report_html


def test_without_drops_no_samples(_isolated_home: Path) -> None:
    state, _ = prepare(TOPOLOGY, _isolated_home, RefreshSettings(None, None, None))
    text = metrics_text(state)
    assert "hybridfw_drops_total{" not in text and b'id="drops"' not in state.published.report_html
