"""The values `ConvertTo-Json` writes for Exchange objects, decoded into plain Python.

Exchange Management Shell and Exchange Online PowerShell are remote sessions: the objects the
cmdlets return arrive deserialized, and `ConvertTo-Json` then writes each property in one of a
few shapes, all of which are accepted here:

- multi-valued properties as a JSON array, a single value, `null`, or (Windows PowerShell 5.1,
  arrays carrying extra type data) an object `{"value": [...], "Count": n}`;
- rich values (IP ranges, smart hosts, SMTP domains, certificate identifiers) as their string
  form, or as an object whose properties hold it: `Expression` / `LowerBound`+`UpperBound`
  (IPRange), `Domain`/`Address` (SMTP domains, smart hosts), `CertificateIssuer` +
  `CertificateSubject` (SmtpX509Identifier), `IPAddressToString` (System.Net.IPAddress);
- flag enums (`PermissionGroups`, `AuthMechanism`, certificate `Services`) as their number
  (PowerShell 5.1 writes enums as numbers), as the comma-separated names
  (`"AnonymousUsers, ExchangeServers"`, PowerShell 7 `-EnumsAsStrings`) or as an array of names;
- dates as `"/Date(1767225599000)/"` (5.1, milliseconds since 1970 UTC, optionally `+0100`),
  an ISO 8601 string (PowerShell 7), or a `{"value": ..., "DateTime": ...}` wrapper.

Every failure is an `InputError` naming the file, the object and the property.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_MASKED = re.compile(r"^(?P<addr>[0-9A-Fa-f:.]+)\s*\(\s*(?P<mask>[0-9.]+)\s*\)$")
_TLS_NAME = re.compile(r"^\s*<I>(?P<issuer>.*)<S>(?P<subject>.*)$", re.S)
# Keys that hold the string form of a rich value, most telling first.
_SCALAR_KEYS = ("expression", "ipaddresstostring", "addressstring", "hostnamestring",
                "smtpdomain", "domain", "address", "value", "name")


@dataclass(frozen=True)
class IpRange:
    """One entry of RemoteIPRanges / SenderIPAddresses: as written, and what it denotes."""

    text: str
    addresses: AddressSet


def parse_ip_range(text: str) -> AddressSet:
    """An Exchange IP range in any notation: `1.2.3.4`, `1.2.3.0/24`, `1.2.3.4-1.2.3.9`,
    `1.2.3.0(255.255.255.0)`, IPv6 in the same forms, zone ids (`fe80::1%11`) dropped.
    Raises AddressError."""
    s = text.strip()
    masked = _MASKED.match(s)
    if masked:
        try:
            net = ipaddress.ip_network(f"{masked['addr']}/{masked['mask']}", strict=False)
        except ValueError as exc:
            raise AddressError(f"not an address with a subnet mask: {text!r}") from exc
        return AddressSet.parse([str(net)])
    if "%" in s:  # a zone id names a local interface; the address is what matters
        s = re.sub(r"%[^/\-\s]*", "", s)
    return AddressSet.parse([s])


def parse_tls_certificate_name(text: str) -> tuple[str, str] | None:
    """(issuer, subject) of `<I>issuer<S>subject`; None when the text has another form."""
    found = _TLS_NAME.match(text)
    return (found["issuer"].strip(), found["subject"].strip()) if found else None


def normal_dn(dn: str) -> str:
    """A distinguished name compared the way the same certificate's names compare equal:
    case-insensitive, blanks around separators ignored."""
    return re.sub(r"\s*([,=+])\s*", r"\1", dn.strip()).lower()


class Props:
    """Case-insensitive, typed access to one exported object; errors name file, object, property."""

    def __init__(self, obj: Mapping[str, Any], path: str, index: int) -> None:
        self.raw = {str(k).lower(): v for k, v in obj.items()}
        self.path, self.index = path, index

    def has(self, name: str) -> bool:
        return name.lower() in self.raw

    def label(self) -> str:
        name = self.raw.get("name") or self.raw.get("identity") or self.raw.get("domainname")
        return f"object {self.index + 1}" + (f" ({scalar(name)})" if name is not None else "")

    def fail(self, prop: str, message: str) -> InputError:
        return InputError(f"{self.label()}: {message}", path=self.path, field=prop)

    def get(self, prop: str, required: bool = False) -> Any:
        if prop.lower() not in self.raw:
            if required:
                raise self.fail(prop, "property missing (truncated export, or a Select-Object "
                                      "that left it out?)")
            return None
        return self.raw[prop.lower()]

    def text(self, prop: str, required: bool = False) -> str:
        value = self.get(prop, required)
        if isinstance(value, list):
            raise self.fail(prop, f"expected one value, got a list of {len(value)}")
        try:
            return scalar(value)
        except ValueShapeError as exc:
            raise self.fail(prop, str(exc)) from None

    def certificate_name(self, prop: str) -> str:
        """A SmtpX509Identifier: `<I>issuer<S>subject` text or its CertificateIssuer /
        CertificateSubject object, always as the text form."""
        value = self.get(prop)
        if isinstance(value, dict):
            lowered = {str(k).lower(): v for k, v in value.items()}
            if "certificatesubject" in lowered:
                issuer = scalar(lowered.get("certificateissuer"))
                return f"<I>{issuer}<S>{scalar(lowered['certificatesubject'])}"
        return self.text(prop)

    def texts(self, prop: str, required: bool = False) -> tuple[str, ...]:
        try:
            return tuple(t for t in (scalar(v) for v in items(self.get(prop, required))) if t)
        except ValueShapeError as exc:
            raise self.fail(prop, str(exc)) from None

    def boolean(self, prop: str, default: bool = False) -> bool:
        value = self.get(prop)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise self.fail(prop, f"expected true or false, got {value!r}")

    def flags(self, prop: str, names: Mapping[str, int]) -> frozenset[str]:
        """A flag enum as the set of its member names (canonical spelling)."""
        canonical = {n.lower(): n for n in names}
        found: set[str] = set()
        for value in items(self.get(prop)):
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise self.fail(prop, f"expected a number or names, got {value!r}")
            if isinstance(value, int):
                if value < 0 or value & ~sum(names.values()):
                    raise self.fail(prop, f"{value} has bits no {prop} value has")
                found |= {n for n, bit in names.items() if bit and value & bit}
                continue
            for part in (p.strip() for p in value.split(",")):
                if part.isdigit():
                    found |= {n for n, bit in names.items() if bit and int(part) & bit}
                elif part.lower() in canonical:
                    found.add(canonical[part.lower()])
                elif part:
                    raise self.fail(prop, f"unknown value {part!r}; known: {', '.join(names)}")
        return frozenset(found - {"None"})

    def date(self, prop: str, required: bool = False) -> datetime | None:
        value = self.get(prop, required)
        if isinstance(value, dict):
            lowered = {str(k).lower(): v for k, v in value.items()}
            value = lowered.get("value", lowered.get("datetime"))
        if value is None:
            if required:
                raise self.fail(prop, "no date")
            return None
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise self.fail(prop, f"not a date: {value!r} (expected /Date(ms)/ or ISO 8601)")
        return parsed

    def ranges(self, prop: str, required: bool = False) -> tuple[IpRange, ...]:
        out = []
        for value in items(self.get(prop, required)):
            try:
                text = range_text(value)
                out.append(IpRange(text, parse_ip_range(text)))
            except (AddressError, ValueShapeError) as exc:
                raise self.fail(prop, str(exc)) from None
        return tuple(out)


def items(value: Any) -> list[Any]:
    """A multi-valued property as a list, whatever shape ConvertTo-Json gave it."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if isinstance(lowered.get("value"), list):
            return list(lowered["value"])
    return [value]


class ValueShapeError(InputError):
    """A property value of a shape no reader expects (an object without a string form, a list
    where one value belongs); readers re-raise it naming the object and property."""


def scalar(value: Any) -> str:
    """The string form of a single value (a rich value's string property); "" for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str | int | float):
        return str(value).strip()
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        for key in _SCALAR_KEYS:
            if lowered.get(key) not in (None, "", [], {}):
                return scalar(lowered[key])
        raise ValueShapeError(f"cannot read a value from an object with keys {sorted(value)[:6]}")
    raise ValueShapeError(f"expected one value, got a list of {len(value)}")


def range_text(value: Any) -> str:
    """One IPRange value as text: its string, its Expression, or LowerBound-UpperBound."""
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if lowered.get("expression"):
            return scalar(lowered["expression"])
        if lowered.get("lowerbound") is not None and lowered.get("upperbound") is not None:
            low, high = scalar(lowered["lowerbound"]), scalar(lowered["upperbound"])
            return low if low == high else f"{low}-{high}"
    text = scalar(value)
    if not text:
        raise ValueShapeError("empty IP range")
    return text


def parse_date(text: str) -> datetime | None:
    """`/Date(ms[+hhmm])/` (the instant is the milliseconds, UTC) or ISO 8601; None otherwise."""
    s = text.strip()
    found = _MS_DATE.match(s)
    if found:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(found.group(1)))
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iter_objects(doc: Any) -> Iterator[tuple[int, Any]]:
    """The objects of one export (a JSON array of objects, or one object), numbered from 0."""
    yield from enumerate(doc if isinstance(doc, list) else [doc])
