"""`check --drops`: a dropped published source makes its flow broken; the HTML shows the drops."""

from __future__ import annotations

from pathlib import Path

from _support.drops import DATA, TOPOLOGY, analyse
from hybridfw.check import run_check
from hybridfw.check.interface import Verdict
from hybridfw.report import renderer
from hybridfw.report.terminal import unchecked_hint


def _verdicts(result: object) -> dict[str, Verdict]:
    return {fr.flow.id: fr.verdict for fr in result.flows}  # type: ignore[attr-defined]


def test_published_drop_breaks_its_flow_and_html_has_the_timeline() -> None:
    result = run_check(TOPOLOGY, drops=[DATA / "netfilter-syslog.log"])
    verdicts = _verdicts(result)
    assert verdicts["smtp-inbound"] is Verdict.BROKEN
    assert verdicts["https-inbound"] is Verdict.NOT_CHECKED  # a deny log never marks a flow checked
    assert "drops" in result.steps and result.exit_code == 1
    # the hint names only the flow nothing decided, not the one the drops broke
    hint = unchecked_hint(result)
    assert hint.startswith("Not checked: ") and "https-inbound" in hint and "smtp-inbound" not in hint
    assert {d.klass for d in result.drops} == {"published", "published-elsewhere", "exchange-unlisted",
                                               "retired"}
    html = renderer("html").render(result)
    assert 'id="drops"' in html and "40.95.90.0/24" in html
    # first / last drop of 40.107.0.0/16
    assert "12&#8209;01&nbsp;13:11:22<br>12&#8209;01&nbsp;13:11:25" in html


def test_only_not_microsoft_drops_leave_the_flow_unjudged(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_text("".join(line for line in (DATA / "netfilter-syslog.log").read_text().splitlines(True)
                           if "SRC=198.51.100" in line))
    result = run_check(TOPOLOGY, drops=[log])
    assert _verdicts(result)["smtp-inbound"] is Verdict.NOT_CHECKED
    assert result.drops == ()
    assert 'id="drops"' not in renderer("html").render(result)


def test_check_json_lists_the_drop_aggregates_as_drops_json_does() -> None:
    log = DATA / "netfilter-syslog.log"
    in_check = run_check(TOPOLOGY, drops=[log]).to_dict()["drops"]
    alone = analyse(log).to_dict()["drops"]  # without --all: the Microsoft classes only
    assert in_check and sorted(in_check, key=str) == sorted(alone, key=str)
    assert {d["class"] for d in in_check} == {"published", "published-elsewhere", "exchange-unlisted",
                                              "retired"}
    published = next(d for d in in_check if d["class"] == "published")
    assert published["flow"] == "smtp-inbound" and published["count"] >= 1
    assert published["evidence"].startswith(f"{log}:")


def test_check_json_without_drops_has_an_empty_list() -> None:
    assert run_check(TOPOLOGY).to_dict()["drops"] == []
