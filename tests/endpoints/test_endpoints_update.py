"""update_from_service against a real HTTP server on loopback: good answers and every bad one.

Each bad case must end in one clear UpstreamError and leave the store answering with the old
data. A few run the CLI (`cli.main`) to check the one-line error and the exit code.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from _support.cli_runner import Ran, run_here
from _support.fake_m365_service import FakeService, Reply, answer_bytes
from hybridfw.endpoints import load_current
from hybridfw.endpoints.client import CLIENT_ID_FILE, ClientSettings
from hybridfw.endpoints.store import open_store, sha256_hex
from hybridfw.endpoints.update import import_file, update_from_service
from hybridfw.errors import UpstreamError

OLD_FILE = "worldwide-endpoints-fetched-2026-04-30.json"
NEW_FILE = "worldwide-endpoints-fetched-2026-05-29.json"
OLD_VERSION = "2026043000"
NEW_VERSION = "2026052900"
WAITS: list[float] = []  # what the client would have slept (FAST records instead of sleeping)
FAST = ClientSettings(connect_timeout=2.0, read_timeout=0.5, attempts=3, backoff=0.01,
                      retry_after_cap=5.0, sleep=WAITS.append)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"


@pytest.fixture(autouse=True)
def _no_waits_yet() -> None:
    WAITS.clear()


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    """A data home whose store already holds the 2026-04-30 answer as version 2026043000."""
    result = import_file(_isolated_home, "Worldwide", DATA / OLD_FILE, OLD_VERSION)
    assert result.updated
    return _isolated_home


def assert_old_data_kept(home: Path) -> None:
    data = load_current("Worldwide", home)
    assert data.version == OLD_VERSION
    assert data.sha256 == sha256_hex(answer_bytes(OLD_FILE))
    with open_store(home) as store:
        assert [v.version for v in store.history("Worldwide")] == [OLD_VERSION]


def update(home: Path, service: FakeService, **kw: object) -> object:
    return update_from_service(home, "Worldwide", service_url=service.url, settings=FAST, **kw)  # type: ignore[arg-type]


def test_newer_version_is_fetched_and_stored(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, answer_bytes(NEW_FILE)))
    result = update_from_service(home, "Worldwide", service_url=service.url, settings=FAST)
    assert result.updated
    assert result.service_version == NEW_VERSION
    assert result.previous is not None and result.previous.version == OLD_VERSION
    assert result.current.version == NEW_VERSION
    assert result.current.sha256 == sha256_hex(answer_bytes(NEW_FILE))
    assert result.diff is not None and result.diff
    assert load_current("Worldwide", home).version == NEW_VERSION
    # One GUID per data home, persisted, sent on every request.
    guid = (home / CLIENT_ID_FILE).read_text().strip()
    assert GUID.match(guid)
    assert [s.query["clientrequestid"] for s in service.seen] == [[guid], [guid]]
    assert service.paths() == ["/version/Worldwide", "/endpoints/Worldwide"]


def test_same_version_fetches_nothing(home: Path, service: FakeService) -> None:
    # An imported file is as old as its version says ...
    assert load_current("Worldwide", home).data_date == datetime(2026, 4, 30, tzinfo=UTC)
    service.version(OLD_VERSION)
    result = update_from_service(home, "Worldwide", service_url=service.url, settings=FAST)
    assert not result.updated
    assert "up to date" in result.message
    assert service.paths() == ["/version/Worldwide"]
    assert_old_data_kept(home)
    # ... until the service confirms it is still the latest: then it is fresh.
    checked = load_current("Worldwide", home).data_date
    assert abs((datetime.now(UTC) - checked).total_seconds()) < 60
    assert result.current.data_date == checked


def test_guid_survives_between_clients(home: Path, service: FakeService) -> None:
    service.version(OLD_VERSION)
    update_from_service(home, "Worldwide", service_url=service.url, settings=FAST)
    update_from_service(home, "Worldwide", service_url=service.url, settings=FAST)
    sent = {s.query["clientrequestid"][0] for s in service.seen}
    assert len(sent) == 1


def test_500_is_retried_then_fails(home: Path, service: FakeService) -> None:
    service.on("/version/Worldwide", Reply(500, b"oops"))
    with pytest.raises(UpstreamError, match=r"HTTP 500 .* after 3 attempt") as info:
        update(home, service)
    assert service.paths() == ["/version/Worldwide"] * 3
    assert WAITS == [0.01, 0.02]  # the back-off doubles
    assert "clientrequestid" not in str(info.value)
    assert "\n" not in str(info.value)
    assert_old_data_kept(home)


def test_500_then_success_recovers(home: Path, service: FakeService) -> None:
    service.on("/version/Worldwide", Reply(503, b"busy"), Reply.json({"latest": NEW_VERSION}))
    service.on("/endpoints/Worldwide", Reply(502, b""), Reply(200, answer_bytes(NEW_FILE)))
    result = update(home, service)
    assert result.updated  # type: ignore[attr-defined]
    assert len(service.seen) == 4
    assert WAITS == [0.01, 0.01]  # each request backs off from the first wait again


def test_429_with_short_retry_after_is_waited_out(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(429, b"", {"Retry-After": "1"}),
               Reply(200, answer_bytes(NEW_FILE)))
    result = update(home, service)
    assert WAITS == [1.0]  # Retry-After waited out (recorded, not slept)
    assert result.updated  # type: ignore[attr-defined]


def test_429_with_long_retry_after_fails_at_once(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(429, b"", {"Retry-After": "3600"}))
    with pytest.raises(UpstreamError, match=r"HTTP 429 .*Retry-After 3600s exceeds the cap"):
        update(home, service)
    assert service.paths().count("/endpoints/Worldwide") == 1
    assert WAITS == []
    assert_old_data_kept(home)


def test_stalled_answer_times_out(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, answer_bytes(NEW_FILE), delay=2.0))
    settings = ClientSettings(connect_timeout=1.0, read_timeout=0.2, attempts=2, backoff=0.01,
                              sleep=WAITS.append)
    started = time.monotonic()
    with pytest.raises(UpstreamError, match=r"timed out after 2 attempt\(s\) \(ReadTimeout\)"):
        update_from_service(home, "Worldwide", service_url=service.url, settings=settings)
    assert time.monotonic() - started < 2.0
    assert_old_data_kept(home)


def _smtp_half(raw: bytes) -> bytes:
    """The new answer with 52.100.0.0/14 and 2a01:111:f403::/48 taken out of the SMTP set."""
    doc = json.loads(raw)
    for s in doc:
        if s["id"] == 10:
            s["ips"] = [ip for ip in s["ips"] if ip not in ("52.100.0.0/14", "2a01:111:f403::/48")]
    return json.dumps(doc).encode()


BAD_ANSWERS = {
    "truncated JSON": (answer_bytes(NEW_FILE)[:5000], r"not valid JSON"),
    "HTML error page": (b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>",
                        r"looks like HTML"),
    "empty array": (b"[]", r"empty list of endpoint sets"),
    "wrong schema": (b'{"error": "unexpected"}', r"expected a JSON array"),
    "sets without ids": (b'[{"serviceArea": "Exchange"}]', r"non-integer 'id'"),
    "SMTP set loses half": (_smtp_half(answer_bytes(NEW_FILE)),
                            r"Exchange set 10 loses 53\.3% of its IPv4 addresses \(52\.100\.0\.0/14\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_bad_answers_are_refused_and_old_data_kept(home: Path, service: FakeService, case: str) -> None:
    body, reason = BAD_ANSWERS[case]
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, body))
    with pytest.raises(UpstreamError, match=reason) as info:
        update(home, service)
    assert str(info.value).startswith("refused")
    assert "\n" not in str(info.value)
    assert_old_data_kept(home)


def test_force_overrides_the_removal_guard_only(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, _smtp_half(answer_bytes(NEW_FILE))))
    result = update(home, service, force=True)
    assert result.updated  # type: ignore[attr-defined]
    with pytest.raises(UpstreamError):
        service.on("/version/Worldwide", Reply.json({"latest": "2026060100"}))
        service.on("/endpoints/Worldwide", Reply(200, b"[]"))
        update(home, service, force=True)


def test_higher_max_removal_lets_the_smaller_set_through(home: Path, service: FakeService) -> None:
    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, _smtp_half(answer_bytes(NEW_FILE))))
    assert update(home, service, max_removal=60.0).updated  # type: ignore[attr-defined]


# -- the CLI as a user runs it ----------------------------------------------------------------
def run_cli(home: Path, *args: str) -> Ran:
    """Through `cli.main`, as a user runs it: what reaches the terminal is checked."""
    return run_here("endpoints", *args, env={"HYBRIDFW_HOME": str(home), "COLUMNS": "200"})


@pytest.mark.parametrize(("route", "reply", "needle"), [
    # A 404 (not retried): a retried 5xx would sleep the CLI's real back-off; the retries
    # themselves are tested above, with the waits recorded.
    ("/version/Worldwide", Reply(404, b"gone"), "HTTP 404 Not Found from GET"),
    ("/endpoints/Worldwide", Reply(200, answer_bytes(NEW_FILE)[:777]), "not valid JSON"),
    ("/endpoints/Worldwide", Reply(200, _smtp_half(answer_bytes(NEW_FILE))), "loses 53.3%"),
])
def test_cli_update_failure_is_one_line_exit_3(home: Path, service: FakeService, route: str,
                                               reply: Reply, needle: str) -> None:
    service.version(NEW_VERSION)
    service.on(route, reply)
    res = run_cli(home, "update", "--service-url", service.url)
    assert res.returncode == 3, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("hybridfw: error: ") and needle in lines[0]
    assert "clientrequestid" not in res.stderr
    assert_old_data_kept(home)


def test_cli_update_and_version_json(home: Path, service: FakeService, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def cli(*args: str) -> Ran:
        return run_here("endpoints", *args, "--service-url", service.url, env={"COLUMNS": "200"})

    service.version(NEW_VERSION)
    service.on("/endpoints/Worldwide", Reply(200, answer_bytes(NEW_FILE)))
    before = json.loads(cli("version", "--json").stdout)
    assert before["update_available"] is True and before["service_latest"] == NEW_VERSION
    assert before["data"]["version"] == OLD_VERSION
    res = cli("update", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["updated"] is True and doc["data"]["version"] == NEW_VERSION
    assert doc["diff"]["removed_sets"] == []
    assert [c["id"] for c in doc["diff"]["changed_sets"]] == [92]
    after = json.loads(cli("version", "--json").stdout)
    assert after["update_available"] is False


def test_cli_version_offline_is_not_an_error(_isolated_home: Path) -> None:
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    res = run_cli(_isolated_home, "version", "--service-url", "http://127.0.0.1:9")
    assert res.returncode == 0
    assert "unreachable" in res.stdout
    assert "no service version" in res.stdout
