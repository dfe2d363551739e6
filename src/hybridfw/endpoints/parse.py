"""Parse and validate an /endpoints answer of the Microsoft 365 IP Address and URL web service."""

from __future__ import annotations

import json
from typing import Any

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.model import EndpointSet


class SchemaError(InputError):
    """The answer is not the documented endpoints schema."""


def parse_ports(value: Any, *, where: str) -> tuple[int, ...]:
    """`"443,80"`, `"143, 587, 993, 995"`, `"50000-50059"` -> sorted unique ints."""
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        raise SchemaError(f"{where}: ports must be a string like \"443,80\", got {value!r}")
    ports: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        lo_s, sep, hi_s = part.partition("-")
        try:
            lo = int(lo_s.strip())
            hi = int(hi_s.strip()) if sep else lo
        except ValueError:
            raise SchemaError(f"{where}: bad port {part!r}") from None
        if not (0 < lo <= hi <= 65535):
            raise SchemaError(f"{where}: port out of range {part!r}")
        ports.update(range(lo, hi + 1))
    return tuple(sorted(ports))


def _str_list(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def parse_endpoint_set(obj: Any, index: int) -> EndpointSet:
    where = f"endpoint set #{index}"
    if not isinstance(obj, dict):
        raise SchemaError(f"{where}: expected an object, got {type(obj).__name__}")
    set_id = obj.get("id")
    if not isinstance(set_id, int) or isinstance(set_id, bool):
        raise SchemaError(f"{where}: missing or non-integer 'id'")
    where = f"endpoint set id {set_id}"
    area = obj.get("serviceArea")
    if not isinstance(area, str) or not area:
        raise SchemaError(f"{where}: missing 'serviceArea'")
    ip_strings = _str_list(obj, "ips", where)
    try:
        ips = AddressSet.parse(ip_strings)
    except AddressError as exc:
        raise SchemaError(f"{where}: 'ips': {exc}") from None
    for key in ("required", "expressRoute"):
        if key in obj and not isinstance(obj[key], bool):
            raise SchemaError(f"{where}: {key!r} must be true or false")
    category = obj.get("category", "Default")
    if category not in ("Optimize", "Allow", "Default"):
        raise SchemaError(f"{where}: unknown category {category!r}")
    notes = obj.get("notes") or ""
    return EndpointSet(
        id=set_id,
        service_area=area,
        service_area_display_name=str(obj.get("serviceAreaDisplayName") or ""),
        urls=_str_list(obj, "urls", where),
        ips=ips,
        ip_strings=ip_strings,
        tcp_ports=parse_ports(obj.get("tcpPorts"), where=f"{where} 'tcpPorts'"),
        udp_ports=parse_ports(obj.get("udpPorts"), where=f"{where} 'udpPorts'"),
        category=category,
        required=bool(obj.get("required", False)),
        express_route=bool(obj.get("expressRoute", False)),
        notes=str(notes),
    )


def parse_endpoints(raw: bytes | str, *, source: str = "answer") -> tuple[EndpointSet, ...]:
    """Parse a raw /endpoints answer. Raises SchemaError (an InputError) with a one-line reason.

    Unknown keys are ignored (Microsoft promises only additive changes); an empty list, a
    non-list, duplicate ids or malformed fields are refused.
    """
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text.lstrip()[:40].replace("\n", " ")
        hint = " (looks like HTML, not JSON)" if snippet.lower().startswith(("<!doctype", "<html")) else ""
        raise SchemaError(
            f"{source}: not valid JSON{hint}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, list):
        raise SchemaError(f"{source}: expected a JSON array of endpoint sets, got {type(data).__name__}")
    if not data:
        raise SchemaError(f"{source}: the answer is an empty list of endpoint sets")
    try:
        sets = tuple(parse_endpoint_set(obj, i) for i, obj in enumerate(data))
    except SchemaError as exc:
        raise SchemaError(f"{source}: {exc}") from None
    seen: set[int] = set()
    for s in sets:
        if s.id in seen:
            raise SchemaError(f"{source}: endpoint set id {s.id} appears twice")
        seen.add(s.id)
    return sets
