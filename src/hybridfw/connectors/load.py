"""Read export files: decode (UTF-8 / UTF-16, with or without BOM), parse JSON, find each
object's kind by its properties and hand it to that kind's reader."""

from __future__ import annotations

import codecs
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hybridfw.connectors.interface import AcceptedDomain, ObjectReader, Origin
from hybridfw.connectors.values import Props, iter_objects
from hybridfw.errors import InputError


def decode_export(data: bytes, path: str) -> str:
    """Text of an export: BOM first (UTF-8, UTF-16 LE/BE), else UTF-16 without BOM when every
    other byte is NUL (what `Out-File` and `>` write in Windows PowerShell), else UTF-8."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _decode(data[len(bom):], codec, path)
    head = data[:200]
    if len(head) >= 2 and head[1::2].count(0) > len(head) // 4:
        return _decode(data, "utf-16-le", path)
    if len(head) >= 2 and head[0::2].count(0) > len(head) // 4:
        return _decode(data, "utf-16-be", path)
    return _decode(data, "utf-8", path)


def _decode(data: bytes, codec: str, path: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"not {codec} text at byte {exc.start}: {exc.reason}", path=path) from None


def parse_export(text: str, path: str) -> Any:
    if not text.strip():
        raise InputError("empty file (expected the JSON of ConvertTo-Json)", path=path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (truncated export?)" if exc.pos >= len(text.rstrip()) - 1 else ""
        raise InputError(f"not JSON: {exc.msg} at column {exc.colno}{cut}", path=path,
                         line=exc.lineno) from None


def reader_for(props: Props, readers: Sequence[ObjectReader[Any]]) -> ObjectReader[Any]:
    """The one reader whose signature the object has. An object with most of one signature
    (a truncated export, a Select-Object that dropped a property) is named with what it lacks."""
    matches = [r for r in readers if r.detect(props)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(r.cmdlet for r in matches)
        raise InputError(f"{props.label()}: has the properties of several kinds ({names})",
                         path=props.path, field="(object)")
    scored = sorted(((sum(props.has(p) for p in r.signature) / len(r.signature), r) for r in readers),
                    key=lambda pair: -pair[0])
    (best, reader), (second, _) = scored[0], scored[1]
    if best >= 0.5 and best > second:
        lacking = [p for p in reader.signature if not props.has(p)]
        raise props.fail(lacking[0], f"looks like {reader.cmdlet} output but lacks "
                                     f"{', '.join(lacking)} (truncated export, or a Select-Object "
                                     "that left it out?)")
    known = "; ".join(f"{r.cmdlet}: {', '.join(r.signature)}" for r in readers)
    keys = ", ".join(list(props.raw)[:8]) or "none"
    raise InputError(f"{props.label()}: not an object hybridfw reads (properties: {keys}); "
                     f"expected one of {known}", path=props.path, field="(object)")


def read_file(path: Path, readers: Sequence[ObjectReader[Any]]) -> list[tuple[str, Any]]:
    """(kind, object) for every object of one export file."""
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=name) from None
    doc = parse_export(decode_export(data, name), name)
    out: list[tuple[str, Any]] = []
    for index, obj in iter_objects(doc):
        if not isinstance(obj, dict):
            raise InputError(f"object {index + 1}: expected a JSON object, got "
                             f"{type(obj).__name__}", path=name, field="(object)")
        props = Props(obj, name, index)
        reader = reader_for(props, readers)
        out.append((reader.kind, reader.read(props, Origin(name, index + 1))))
    return out


def tenant_side(domains: Sequence[AcceptedDomain]) -> bool:
    """Accepted domains from Exchange Online: the tenant's initial domain is among them."""
    from hybridfw.connectors.accepted import is_initial_domain

    return any(is_initial_domain(d.domain) for d in domains)
