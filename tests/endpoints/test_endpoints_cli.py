"""The endpoints commands as a user runs them: show, history, changes, staleness, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from _support.cli_runner import Ran, run_here
from _support.fake_m365_service import FakeService, Reply, answer_bytes
from hybridfw.endpoints.client import ServiceClient, _retry_after_seconds, client_request_id
from hybridfw.errors import InputError, UpstreamError

DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"
Cli = Callable[..., Ran]
EXPECTED_KEYS = ["id", "serviceArea", "urls", "ips", "tcpPorts", "udpPorts", "category", "required",
                 "expressRoute", "notes"]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """`cli(home, *args, env={...})` runs `hybridfw endpoints ARGS` in this process."""

    def run(home: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
        monkeypatch.setenv("HYBRIDFW_HOME", str(home))
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        return run_here("endpoints", *args, env={"COLUMNS": "200"})

    return run


def test_show_json_shape_and_filters(cli: Cli, _isolated_home: Path) -> None:
    res = cli(_isolated_home, "show", "--service", "Exchange", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["data"]["source"] == "snapshot" and doc["instance"] == "Worldwide"
    rows = doc["sets"]
    assert [r["id"] for r in rows] == [1, 2, 8, 9, 10]
    assert all(list(r) == EXPECTED_KEYS for r in rows)
    imap = next(r for r in rows if r["id"] == 2)
    assert imap["tcpPorts"] == [143, 587, 993, 995]  # from "143, 587, 993, 995"
    smtp = json.loads(cli(_isolated_home, "show", "--port", "25", "--ipv4", "--json").stdout)["sets"]
    assert [(r["id"], r["ips"]) for r in smtp] == [
        (10, ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"])]
    v6 = json.loads(cli(_isolated_home, "show", "--id", "10", "--ipv6", "--json").stdout)["sets"]
    assert v6[0]["ips"] == ["2a01:111:f400::/48", "2a01:111:f403::/48"]
    optimize = json.loads(cli(_isolated_home, "show", "--category", "optimize", "--required",
                              "--json").stdout)["sets"]
    assert optimize and all(r["category"] == "Optimize" and r["required"] for r in optimize)
    # The data in use is named on stderr for the JSON list, with the staleness warning.
    assert "shipped snapshot" in res.stderr


def test_show_text_says_which_data_and_warns_when_stale(cli: Cli, _isolated_home: Path) -> None:
    res = cli(_isolated_home, "show", "--id", "10")
    assert res.returncode == 0
    assert "data: shipped snapshot fetched 2026-05-29" in res.stdout
    assert "40.92.0.0/15" in res.stdout


def test_stale_flag_in_json(cli: Cli, _isolated_home: Path) -> None:
    from hybridfw.endpoints.update import import_file

    import_file(_isolated_home, "Worldwide", DATA / "worldwide-endpoints-fetched-2025-04-09.json")
    res = cli(_isolated_home, "history", "--json")
    doc = json.loads(res.stdout)
    assert doc["data"]["stale"] is True and doc["data"]["age_days"] > 35
    assert "warning: endpoint data is" in res.stderr
    assert len(doc["versions"]) == 1 and doc["versions"][0]["version"] is None


def test_ipv4_and_ipv6_together_is_a_usage_error(cli: Cli, _isolated_home: Path) -> None:
    res = cli(_isolated_home, "show", "--ipv4", "--ipv6")
    assert res.returncode == 2 and res.stderr.startswith("hybridfw: error:")
    res = cli(_isolated_home, "show", "--instance", "Mars")
    assert res.returncode == 2 and "unknown instance" in res.stderr


def test_update_file_bad_input_is_exit_2(cli: Cli, _isolated_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "answer.json"
    bad.write_text("[{")
    res = cli(_isolated_home, "update", "--file", str(bad))
    assert res.returncode == 2 and len(res.stderr.splitlines()) == 1 and "not valid JSON" in res.stderr
    res = cli(_isolated_home, "update", "--file", str(bad), "--version", "2026")
    assert res.returncode == 2 and "10 digits" in res.stderr


def test_changes_table_and_json(cli: Cli, _isolated_home: Path, service: FakeService) -> None:
    service.on("/changes/Worldwide/2018062700",
               Reply(200, answer_bytes("changes-worldwide-since-2018062700-doc-example.json")))
    res = cli(_isolated_home, "changes", "--since", "2018062700", "--json", "--service-url", service.url)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [(c["id"], c["endpointSetId"]) for c in doc["changes"]] == [(3, 33), (4, 45)]
    assert doc["changes"][0]["remove"]["ips"][0] == "65.55.127.0/24"
    text = cli(_isolated_home, "changes", "--since", "2018062700", "--service-url", service.url)
    assert "65.55.127.0/24" in text.stdout and "2018031301" in text.stdout
    # The snapshot has no version, so --since is needed.
    res = cli(_isolated_home, "changes", "--service-url", service.url)
    assert res.returncode == 2 and "--since" in res.stderr


def test_service_url_from_environment(cli: Cli, _isolated_home: Path, service: FakeService) -> None:
    service.version("2026052900")
    res = cli(_isolated_home, "version", "--json", env={"HYBRIDFW_SERVICE_URL": service.url})
    assert json.loads(res.stdout)["service_latest"] == "2026052900"
    assert service.paths() == ["/version/Worldwide"]


def test_client_request_id_is_persisted_once(_isolated_home: Path) -> None:
    first = client_request_id(_isolated_home)
    assert client_request_id(_isolated_home) == first
    (_isolated_home / "client-request-id").write_text("garbage")
    replaced = client_request_id(_isolated_home)
    assert replaced != first and client_request_id(_isolated_home) == replaced
    assert [p.name for p in _isolated_home.iterdir()] == ["client-request-id"]  # no temp files left


def test_client_rejects_bad_answers(_isolated_home: Path, service: FakeService) -> None:
    service.on("/version/Worldwide", Reply.json({"instance": "Worldwide", "latest": "soon"}))
    service.on("/changes/Worldwide/2026010100", Reply.json({"not": "a list"}))
    service.on("/version/China", Reply(404, b"no"))
    with ServiceClient(_isolated_home, service_url=service.url) as client:
        with pytest.raises(UpstreamError, match="no 10-digit 'latest'"):
            client.version("Worldwide")
        with pytest.raises(UpstreamError, match="expected a JSON array of changes"):
            client.changes("Worldwide", "2026010100")
        with pytest.raises(UpstreamError, match=r"HTTP 404 Not Found from GET .*/version/China$"):
            client.version("China")
        with pytest.raises(InputError, match="10 digits"):
            client.changes("Worldwide", "latest")
    with pytest.raises(InputError, match="service URL"):
        ServiceClient(_isolated_home, service_url="ftp://example")


def test_endpoints_query_parameters(_isolated_home: Path, service: FakeService) -> None:
    service.on("/endpoints/Worldwide", Reply(200, b"[]"))
    with ServiceClient(_isolated_home, service_url=service.url) as client:
        client.endpoints("Worldwide", service_areas="Exchange,Common", tenant_name="contoso",
                         no_ipv6=True)
    query = service.seen[0].query
    assert query["ServiceAreas"] == ["Exchange,Common"]
    assert query["TenantName"] == ["contoso"] and query["NoIPv6"] == ["true"]


def test_retry_after_forms() -> None:
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds(None) is None and _retry_after_seconds("soon") is None
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_version_for_an_instance_with_nothing_stored(cli: Cli, _isolated_home: Path,
                                                     service: FakeService) -> None:
    service.version("2026052800", instance="China")
    res = cli(_isolated_home, "version", "--instance", "china", "--json", "--service-url", service.url)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["instance"] == "China" and doc["data"] is None
    assert doc["service_latest"] == "2026052800" and doc["update_available"] is True


def test_verbose_logs_retries(_isolated_home: Path, service: FakeService,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """-v logs each retry on stderr; the CLI's back-off is recorded, not slept."""
    import functools

    from _support.cli_runner import run_here
    from hybridfw.endpoints import client

    waits: list[float] = []
    monkeypatch.setattr(client, "ClientSettings", functools.partial(client.ClientSettings,
                                                                    sleep=waits.append))
    service.on("/version/Worldwide", Reply(503, b"busy"), Reply.json({"latest": "2026052900"}))
    res = run_here("-v", "endpoints", "version", "--service-url", service.url)
    assert res.returncode == 0, res.stderr
    assert "HTTP 503 from" in res.stderr and "retry 1" in res.stderr
    assert "clientrequestid" not in res.stderr
    assert waits == [0.5]  # the one back-off of `endpoints version` (attempts=2, backoff=0.5)
