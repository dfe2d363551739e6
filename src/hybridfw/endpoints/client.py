"""HTTP client for the Microsoft 365 IP Address and URL web service (endpoints.office.com).

Every request carries the data home's `clientrequestid` (Microsoft asks for one GUID per calling
machine, reused). Timeouts are always set; 5xx answers and timeouts are retried a bounded number
of times with exponential backoff; a 429 is waited out only when its Retry-After is short.
Errors become `UpstreamError` with one line: status, URL (without the GUID) and reason.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from hybridfw.endpoints.interface import Answer, AnswerSource, ChangeRecord, ServiceVersion
from hybridfw.errors import InputError, UpstreamError
from hybridfw.fileio import write_atomic

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

DEFAULT_SERVICE_URL = "https://endpoints.office.com"
SERVICE_URL_ENV = "HYBRIDFW_SERVICE_URL"
CLIENT_ID_FILE = "client-request-id"
_VERSION_RE = re.compile(r"^\d{10}$")
_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retry policy. Defaults suit the real service; tests shrink them and pass a
    `sleep` that records the waits instead of waiting."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempts: int = 3  # total tries for 5xx / timeouts / short 429s
    backoff: float = 1.0  # first wait; doubles each retry
    retry_after_cap: float = 60.0  # longer Retry-After values fail at once
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


def client_request_id(home: Path) -> str:
    """The GUID of this data home: read it, or make one and persist it atomically."""
    path = home / CLIENT_ID_FILE
    try:
        text = path.read_text(encoding="utf-8").strip().lower()
    except FileNotFoundError:
        text = ""
    if _GUID_RE.match(text):
        return text
    if text:
        log.warning("%s holds no GUID; making a new one", path)
    guid = str(uuid.uuid4())
    write_atomic(path, guid + "\n")
    return guid


def service_base_url(override: str | None = None) -> str:
    """--service-url, else $HYBRIDFW_SERVICE_URL, else the public service."""
    url = override or os.environ.get(SERVICE_URL_ENV) or DEFAULT_SERVICE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"service URL must be http(s)://host[:port][/path], got {url!r}",
                         field="service-url")
    return url.rstrip("/")


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class ServiceClient:
    """Calls /version, /endpoints and /changes. Use as a context manager (closes the pool)."""

    def __init__(self, home: Path, *, service_url: str | None = None,
                 settings: ClientSettings | None = None) -> None:
        import httpx  # lazy: keeps `hybridfw --help` fast

        self.base_url = service_base_url(service_url)
        self.settings = settings or ClientSettings()
        self._home = home
        self._guid: str | None = None
        # httpx logs every URL with its query, GUID included; we log our own lines without it.
        httpx_log = logging.getLogger("httpx")
        if httpx_log.level == logging.NOTSET:
            httpx_log.setLevel(logging.WARNING)
        s = self.settings
        self._http = httpx.Client(
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            headers={"Accept": "application/json", "User-Agent": "hybridfw"},
            follow_redirects=True,
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- methods of the service ----------------------------------------------------------------
    def version(self, instance: str) -> ServiceVersion:
        doc = self._get_json(f"/version/{instance}", {})
        latest = doc.get("latest") if isinstance(doc, dict) else None
        if not isinstance(latest, str) or not _VERSION_RE.match(latest):
            raise UpstreamError(
                f"GET {self._public_url(f'/version/{instance}', {})}: answer has no 10-digit "
                "'latest' version"
            )
        return ServiceVersion(instance=str(doc.get("instance") or instance), latest=latest)

    def endpoints(self, instance: str, *, service_areas: str | None = None,
                  tenant_name: str | None = None, no_ipv6: bool = False) -> bytes:
        params: dict[str, str] = {}
        if service_areas:
            params["ServiceAreas"] = service_areas
        if tenant_name:
            params["TenantName"] = tenant_name
        if no_ipv6:
            params["NoIPv6"] = "true"
        return self._get(f"/endpoints/{instance}", params).content

    def changes(self, instance: str, since: str) -> list[ChangeRecord]:
        if not _VERSION_RE.match(since):
            raise InputError(f"a version is 10 digits (YYYYMMDDNN), got {since!r}", field="since")
        path = f"/changes/{instance}/{since}"
        doc = self._get_json(path, {})
        if not isinstance(doc, list):
            raise UpstreamError(f"GET {self._public_url(path, {})}: expected a JSON array of changes")
        try:
            return [_change_record(item) for item in doc]
        except (TypeError, ValueError, KeyError) as exc:
            raise UpstreamError(f"GET {self._public_url(path, {})}: bad change record: {exc}") from None

    # -- plumbing -----------------------------------------------------------------------------
    def _public_url(self, path: str, params: Mapping[str, str]) -> str:
        query = urlencode(dict(params))
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        resp = self._get(path, params)
        try:
            return json.loads(resp.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UpstreamError(f"GET {self._public_url(path, params)}: answer is not JSON ({exc})") from None

    def _get(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        import httpx

        if self._guid is None:
            self._guid = client_request_id(self._home)
        shown = self._public_url(path, params)
        s = self.settings
        for attempt in range(1, s.attempts + 1):
            last = attempt == s.attempts
            try:
                resp = self._http.get(self.base_url + path, params={**params, "clientrequestid": self._guid})
            except httpx.TimeoutException as exc:
                if last:
                    raise UpstreamError(f"GET {shown}: timed out after {attempt} attempt(s) "
                                        f"({type(exc).__name__})") from None
                self._backoff(attempt, shown, "timeout")
                continue
            except httpx.HTTPError as exc:
                raise UpstreamError(f"GET {shown}: {type(exc).__name__}: {_reason(exc)}") from None
            log.info("GET %s -> HTTP %d", shown, resp.status_code)
            wait = self._wait_for(resp, shown, last)
            if wait is None:
                return resp
            if wait < 0:
                self._backoff(attempt, shown, f"HTTP {resp.status_code}")
            else:
                log.info("HTTP 429 from %s; waiting %.1fs per Retry-After", shown, wait)
                self.settings.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for(self, resp: httpx.Response, shown: str, last: bool) -> float | None:
        """None: the answer is good. -1: back off and retry. >=0: sleep that long and retry."""
        code = resp.status_code
        if code == 429:
            after = _retry_after_seconds(resp.headers.get("Retry-After"))
            if after is None or after > self.settings.retry_after_cap or last:
                why = ("no usable Retry-After" if after is None
                       else f"Retry-After {after:.0f}s" + (" exceeds the cap" if not last else ""))
                raise UpstreamError(f"HTTP 429 Too Many Requests from GET {shown} ({why}); "
                                    "Microsoft asks to wait an hour before calling again")
            return after
        if code >= 500:
            if last:
                raise UpstreamError(f"HTTP {code} {resp.reason_phrase} from GET {shown} "
                                    f"after {self.settings.attempts} attempt(s)")
            return -1
        if code >= 400:
            raise UpstreamError(f"HTTP {code} {resp.reason_phrase} from GET {shown}")
        return None

    def _backoff(self, attempt: int, shown: str, why: str) -> None:
        delay = self.settings.backoff * (2 ** (attempt - 1))
        log.info("%s from %s; retry %d in %.2fs", why, shown, attempt, delay)
        self.settings.sleep(delay)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no reason given"


def _str_tuple(obj: Any, key: str) -> tuple[str, ...]:
    if not isinstance(obj, dict):
        return ()
    return tuple(str(v) for v in obj.get(key) or ())


def _change_record(item: Any) -> ChangeRecord:
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {type(item).__name__}")
    add = item.get("add") or {}
    remove = item.get("remove") or {}
    return ChangeRecord(
        id=int(item["id"]),
        endpoint_set_id=int(item["endpointSetId"]),
        disposition=str(item.get("disposition") or ""),
        impact=str(item.get("impact") or ""),
        version=str(item.get("version") or ""),
        effective_date=str(add.get("effectiveDate") or "") if isinstance(add, dict) else "",
        added_ips=_str_tuple(add, "ips"),
        added_urls=_str_tuple(add, "urls"),
        removed_ips=_str_tuple(remove, "ips"),
        removed_urls=_str_tuple(remove, "urls"),
        raw=item,
    )


class ServiceSource(AnswerSource):
    """The live web service: the newest /endpoints answer, labelled with its /version."""

    def __init__(self, client: ServiceClient, version: str) -> None:
        self._client = client
        self._version = version

    def fetch(self, instance: str) -> Answer:
        raw = self._client.endpoints(instance)
        now = datetime.now(UTC)
        return Answer(raw=raw, version=self._version, data_date=now, source="service",
                      label=f"service version {self._version}, fetched {now:%Y-%m-%d}")
