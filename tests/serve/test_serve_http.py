"""The feed server over real HTTP on loopback: feeds, caching headers, read-only, refresher."""

from __future__ import annotations

import json
import logging
import socket
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from _support.serve_peers import (
    M365,
    Receiver,
    Upstream,
    running_feed_server,
    running_receiver,
    running_upstream,
    wait_for,
)
from hybridfw.addresses import AddressSet
from hybridfw.endpoints import load_current
from hybridfw.endpoints.select import eop_smtp_addresses

NEW_ANSWER = M365 / "worldwide-endpoints-fetched-2026-05-29.json"
OLD_ANSWER = M365 / "worldwide-endpoints-fetched-2026-03-31.json"
SMTP = AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17",
                         "2a01:111:f400::/48", "2a01:111:f403::/48"])


def seed_old(home: Path) -> None:
    from hybridfw.endpoints.update import import_file

    import_file(home, "Worldwide", OLD_ANSWER, "2026033100")


def raw_get(url: str, target: str) -> bytes:
    """A request line exactly as given (clients normalise '..' away; attackers do not)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_feeds_text_json_and_families(_isolated_home: Path) -> None:
    with running_feed_server(_isolated_home) as srv:
        resp = srv.client.get("/feeds/smtp-inbound.txt")
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "text/plain; charset=utf-8"
        lines = resp.text.splitlines()
        assert AddressSet.parse(lines) == SMTP == eop_smtp_addresses(load_current().sets)
        assert lines == SMTP.to_cidrs()
        v4 = srv.client.get("/feeds/smtp-inbound.txt", params={"family": "4"}).text.splitlines()
        v6 = srv.client.get("/feeds/smtp-inbound.txt", params={"family": "6"}).text.splitlines()
        assert v4 == SMTP.to_cidrs(4) and v6 == SMTP.to_cidrs(6)
        doc = srv.client.get("/feeds/smtp-inbound.json").json()
        assert doc["flow"] == "smtp-inbound" and doc["ports"] == [25] and doc["protocol"] == "tcp"
        assert doc["ipv4"] == SMTP.to_cidrs(4) and doc["ipv6"] == SMTP.to_cidrs(6)
        assert srv.client.get("/feeds/smtp-inbound.json?family=6").json()["ipv4"] == []
        outbound = srv.client.get("/feeds/smtp-outbound.json").json()
        assert outbound["direction"] == "outbound" and "*.mail.protection.outlook.com" in outbound["fqdns"]
        head = srv.client.head("/feeds/smtp-inbound.txt")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == resp.headers["etag"]


def test_etag_last_modified_and_304(_isolated_home: Path) -> None:
    with running_feed_server(_isolated_home) as srv:
        first = srv.client.get("/feeds/smtp-inbound.txt")
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        modified = parsedate_to_datetime(first.headers["last-modified"])
        assert modified == load_current().data_date
        for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
            again = srv.client.get("/feeds/smtp-inbound.txt", headers={"If-None-Match": header})
            assert again.status_code == 304, header
            assert again.content == b"" and again.headers["etag"] == etag
        other = srv.client.get("/feeds/smtp-inbound.txt", headers={"If-None-Match": '"other"'})
        assert other.status_code == 200 and other.content == first.content
        # Each family and format has its own ETag.
        assert srv.client.get("/feeds/smtp-inbound.txt?family=4").headers["etag"] != etag
        report = srv.client.get("/report")
        assert report.status_code == 200 and report.text.startswith("<!DOCTYPE html>")
        # serve audits no firewall: its report never shows a green "ready" for unchecked flows.
        assert 'id="verdict" class="badge v-not-checked"' in report.text
        assert "v-ready" not in report.text.split("<style>")[1].split("</style>")[1]
        cached = srv.client.get("/report", headers={"If-None-Match": report.headers["etag"]})
        assert cached.status_code == 304
        metrics = srv.client.get("/metrics").text
        assert "hybridfw_feed_not_modified_total 4" in metrics


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(_isolated_home: Path, method: str) -> None:
    with running_feed_server(_isolated_home) as srv:
        for path in ("/feeds/smtp-inbound.txt", "/healthz", "/metrics", "/report"):
            resp = srv.client.request(method, path, content=b"x" * 1000)
            assert resp.status_code == 405, path
            assert "GET" in resp.headers["allow"]
        assert srv.client.get("/feeds/smtp-inbound.txt").status_code == 200


def test_unknown_flows_and_path_escapes_are_404(_isolated_home: Path) -> None:
    with running_feed_server(_isolated_home) as srv:
        for path in ("/feeds/nope.txt", "/feeds/smtp-inbound.csv", "/feeds/SMTP-INBOUND.txt",
                     "/feeds/smtp-inbound", "/feeds/", "/nothing", "/feeds/smtp-inbound.txt/"):
            assert srv.client.get(path).status_code == 404, path
        assert srv.client.get("/feeds/smtp-inbound.txt?family=5").status_code == 400
        assert srv.client.get("/feeds/smtp-inbound.txt?x=1").status_code == 400
        for target in ("/feeds/../../../../etc/passwd", "/feeds/%2e%2e/%2e%2e/etc/passwd",
                       "/feeds/..%2f..%2fetc%2fpasswd.txt", "/feeds/smtp-inbound.txt/../../etc/hosts",
                       "/feeds//etc/passwd"):
            reply = raw_get(srv.url, target)
            assert reply.startswith(b"HTTP/1.1 404") or reply.startswith(b"HTTP/1.1 400"), target
            assert b"root:" not in reply and b"localhost" not in reply


def test_healthz_and_metrics_before_refresh(_isolated_home: Path) -> None:
    with running_feed_server(_isolated_home) as srv:
        health = srv.client.get("/healthz").json()
        assert health["serving"]["version"] == "snapshot 2026-05-29"
        assert health["last_refresh"]["result"] == "not run"
        assert health["status"] == "degraded" and "days old" in health["problems"][0]  # snapshot
        assert "smtp-inbound" in health["flows"]
        metrics = srv.client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'hybridfw_data_version{instance="Worldwide",label="snapshot 2026-05-29"} 0' in metrics.text
        assert "hybridfw_last_refresh_success 1" in metrics.text


def metric(srv_client: object, name: str) -> str:
    text = srv_client.get("/metrics").text  # type: ignore[attr-defined]
    return next(line.rsplit(" ", 1)[1] for line in text.splitlines() if line.startswith(name))


def test_if_modified_since_index_and_strict_health(_isolated_home: Path) -> None:
    with running_feed_server(_isolated_home) as srv:
        first = srv.client.get("/feeds/smtp-inbound.txt")
        modified = first.headers["last-modified"]
        same = srv.client.get("/feeds/smtp-inbound.txt", headers={"If-Modified-Since": modified})
        assert same.status_code == 304 and same.content == b""
        older = srv.client.get("/feeds/smtp-inbound.txt",
                               headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
        assert older.status_code == 200 and older.content == first.content
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        both = srv.client.get("/feeds/smtp-inbound.txt",
                              headers={"If-Modified-Since": modified, "If-None-Match": '"other"'})
        assert both.status_code == 200
        junk = srv.client.get("/feeds/smtp-inbound.txt", headers={"If-Modified-Since": "yesterday"})
        assert junk.status_code == 200
        index = srv.client.get("/")
        assert index.status_code == 200 and "/feeds/smtp-inbound.txt" in index.text
        assert "/feeds/https-inbound.json" in index.text
        assert srv.client.get("/healthz").status_code == 200  # degraded (snapshot), not strict
        srv.state.strict_health = True
        strict = srv.client.get("/healthz")
        assert strict.status_code == 503 and strict.json()["status"] == "degraded"


def test_refresh_picks_up_new_version_and_notifies(_isolated_home: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hybridfw.serve")
    seed_old(_isolated_home)
    up = Upstream(latest="2026112900", answer=NEW_ANSWER.read_bytes())
    with running_upstream(up), running_receiver(Receiver()) as rx, \
            running_feed_server(_isolated_home, interval=3600, notify_url=rx.url,
                                service_url=up.url) as srv:
        wait_for(lambda: rx.posts, "the change notification")
        health = srv.client.get("/healthz").json()
        assert health["serving"]["version"] == "2026112900"
        assert health["status"] == "ok" and health["last_refresh"]["result"] == "updated"
        assert metric(srv.client, "hybridfw_data_version{") == "2026112900"
        assert metric(srv.client, "hybridfw_last_refresh_success") == "1"
        post = rx.posts[0]
        assert post["event"] == "endpoint-data-updated"
        assert post["previous"] == "2026033100" and post["current"] == "2026112900"
        assert set(post["diff"]) >= {"from", "to", "added_sets", "removed_sets", "changed_sets"}
        assert "/version/Worldwide" in up.requests and "/endpoints/Worldwide" in up.requests
        doc = srv.client.get("/feeds/smtp-inbound.json").json()
        assert doc["data_version"] == "2026112900"
    assert "refresh ok, now serving 2026112900" in caplog.text  # a successful refresh is logged


def test_upstream_failure_keeps_last_good_data(_isolated_home: Path) -> None:
    seed_old(_isolated_home)
    up = Upstream(status=503)
    with running_upstream(up), running_feed_server(_isolated_home, interval=0.2,
                                                   service_url=up.url) as srv:
        before = srv.client.get("/feeds/smtp-inbound.txt")
        wait_for(lambda: srv.state.refresh.failures_total >= 2, "two failed refreshes")
        health = srv.client.get("/healthz").json()
        assert health["status"] == "degraded"
        assert health["serving"]["version"] == "2026033100"
        assert health["last_refresh"]["ok"] is False and "503" in health["last_refresh"]["message"]
        assert any("last refresh failed" in p for p in health["problems"])
        assert metric(srv.client, "hybridfw_last_refresh_success") == "0"
        assert int(metric(srv.client, 'hybridfw_refresh_total{result="error"}')) >= 2
        after = srv.client.get("/feeds/smtp-inbound.txt")
        assert after.status_code == 200 and after.content == before.content
        # The service comes back: the next poll recovers.
        up.answer, up.status = NEW_ANSWER.read_bytes(), 200
        wait_for(lambda: srv.state.refresh.ok and srv.state.published.data.version == "2026112900",
                 "recovery")
        assert srv.client.get("/healthz").json()["status"] == "ok"


def without_smtp_set(raw: bytes) -> bytes:
    sets = [s for s in json.loads(raw) if "25" not in str(s.get("tcpPorts", ""))]
    return json.dumps(sets).encode()


@pytest.mark.parametrize("bad", ["removes-smtp", "malformed", "empty"])
def test_bad_update_is_refused(_isolated_home: Path, bad: str) -> None:
    seed_old(_isolated_home)
    answer = {"removes-smtp": without_smtp_set(NEW_ANSWER.read_bytes()), "malformed": b"{not json",
              "empty": b"[]"}[bad]
    up = Upstream(answer=answer)
    with running_upstream(up), running_receiver(Receiver()) as rx, \
            running_feed_server(_isolated_home, interval=3600, notify_url=rx.url,
                                service_url=up.url) as srv:
        wait_for(lambda: srv.state.refresh.at is not None, "the first refresh")
        health = srv.client.get("/healthz").json()
        assert health["status"] == "degraded", health
        assert health["serving"]["version"] == "2026033100"
        lines = srv.client.get("/feeds/smtp-inbound.txt").text.splitlines()
        assert AddressSet.parse(lines) == SMTP
        assert rx.posts == []


def test_failed_notification_is_counted_not_fatal(_isolated_home: Path) -> None:
    seed_old(_isolated_home)
    up = Upstream(answer=NEW_ANSWER.read_bytes())
    with running_upstream(up), running_receiver(Receiver(status=500)) as rx, \
            running_feed_server(_isolated_home, interval=3600, notify_url=rx.url,
                                service_url=up.url) as srv:
        wait_for(lambda: srv.state.refresh.notify_failures_total == 1, "the failed notification")
        assert srv.state.published.data.version == "2026112900"
        assert metric(srv.client, "hybridfw_notify_failures_total") == "1"
        assert len(rx.posts) == 1
