"""Reading exports: every shape ConvertTo-Json gives, detection by properties, one-line errors."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.connectors import DATA, MAIN_FILES, fixture, scoped_connector, write_json
from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.connectors import read_exports, readers
from hybridfw.connectors.values import parse_date, parse_ip_range
from hybridfw.errors import InputError


def test_every_fixture_is_read_and_each_kind_is_found_by_its_properties() -> None:
    exports = read_exports([DATA / name for name in MAIN_FILES])
    assert exports.counts == {"receive-connector": 3, "send-connector": 2, "exchange-certificate": 2,
                              "inbound-connector": 1, "outbound-connector": 1, "accepted-domain": 5,
                              "hybrid-configuration": 1}
    assert [d.domain for d in exports.tenant_domains] == [
        "contoso.com", "contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com"]
    assert [d.domain for d in exports.onprem_domains] == ["contoso.com", "contoso.mail.onmicrosoft.com"]
    cloud = next(c for c in exports.receive if c.name == "Inbound from Office 365")
    assert cloud.permission_groups == {"AnonymousUsers"} and cloud.auth_mechanism == {"Tls"}
    assert [r.text for r in cloud.remote_ranges][3:5] == ["104.47.0.0-104.47.127.255",
                                                         "23.103.132.0(255.255.252.0)"]
    default = next(c for c in exports.receive if c.name.startswith("Default Frontend"))
    assert default.permission_groups == {"AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"}
    assert default.auth_mechanism == {"Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS",
                                      "ExchangeServer"}
    assert default.remote_set == AddressSet.any()
    cert = next(c for c in exports.certificates if c.domains[0] == "mail.contoso.com" and len(c.domains) == 3)
    assert cert.services == {"IIS", "SMTP"} and cert.server == "EX1"
    assert cert.not_after == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert exports.send[0].address_spaces == ("contoso.mail.onmicrosoft.com",)
    assert exports.hybrid[0].tls_certificate_name.startswith("<I>CN=Example TLS")


def test_powershell7_utf16_single_object_reads_like_the_51_array() -> None:
    raw = (DATA / "receive-connector-ps7-utf16.json").read_bytes()
    assert raw[:2] == b"\xff\xfe"
    (connector,) = read_exports([DATA / "receive-connector-ps7-utf16.json"]).receive
    assert connector.permission_groups == {"AnonymousUsers", "ExchangeServers"}
    assert connector.auth_mechanism == {"Tls", "ExchangeServer"}
    assert connector.tls_certificate_name.startswith("<I>CN=Example TLS RSA CA G1")
    assert connector.tls_domain_capabilities == ("mail.protection.outlook.com:AcceptCloudServicesMail",)
    assert connector.remote_set == AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14",
                                                     "104.47.0.0/17", "2a01:111:f400::/48",
                                                     "2a01:111:f403::/48"])
    assert [b.port for b in connector.bindings] == [25, 25]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = write_json(tmp_path / "rc.json", fixture("receive-connectors.json"), encoding)
    assert len(read_exports([path]).receive) == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("1.2.3.4", ["1.2.3.4/32"]),
    ("1.2.3.0/24", ["1.2.3.0/24"]),
    ("1.2.3.7/24", ["1.2.3.0/24"]),
    ("1.2.3.4-1.2.3.9", ["1.2.3.4/30", "1.2.3.8/31"]),
    ("1.2.3.0(255.255.255.0)", ["1.2.3.0/24"]),
    ("0.0.0.0-255.255.255.255", ["0.0.0.0/0"]),
    ("2001:db8::/32", ["2001:db8::/32"]),
    ("fe80::39bd:88f7:6969:d223%11", ["fe80::39bd:88f7:6969:d223/128"]),
    ("2001:db8::1-2001:db8::3", ["2001:db8::1/128", "2001:db8::2/127"]),
])
def test_ip_range_notations(text: str, expected: list[str]) -> None:
    assert parse_ip_range(text).to_cidrs() == expected


@pytest.mark.parametrize("value", [
    "203.0.113.0/24",
    {"Expression": "203.0.113.0/24", "LowerBound": "203.0.113.0", "UpperBound": "203.0.113.255"},
    {"LowerBound": "203.0.113.0", "UpperBound": "203.0.113.255", "Expression": None},
    {"LowerBound": {"IPAddressToString": "203.0.113.0", "AddressFamily": 2},
     "UpperBound": {"IPAddressToString": "203.0.113.255", "AddressFamily": 2}},
])
def test_ip_range_object_shapes(tmp_path: Path, value: object) -> None:
    doc = scoped_connector([value])
    (connector,) = read_exports([write_json(tmp_path / "x.json", doc)]).receive
    assert connector.remote_set == AddressSet.parse(["203.0.113.0/24"])


def test_multi_valued_wrapper_and_single_value(tmp_path: Path) -> None:
    wrapped = scoped_connector({"value": ["192.0.2.0/24", "198.51.100.7"], "Count": 2})
    single = scoped_connector("192.0.2.0/24", name="single")
    exports = read_exports([write_json(tmp_path / "x.json", [wrapped, single])])
    assert exports.receive[0].remote_set == AddressSet.parse(["192.0.2.0/24", "198.51.100.7"])
    assert exports.receive[1].remote_set == AddressSet.parse(["192.0.2.0/24"])


def test_dates() -> None:
    assert parse_date("/Date(4102444799000)/") == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_date("/Date(0+0100)/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_date("2026-03-01T10:00:00+01:00") == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert parse_date("2026-03-01T10:00:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_date("next tuesday") is None


def test_date_wrapper_object(tmp_path: Path) -> None:
    cert = fixture("exchange-certificates.json")[0]
    cert["NotAfter"] = {"value": "/Date(4102444799000)/", "DisplayHint": 2,
                        "DateTime": "Thursday, December 31, 2099 11:59:59 PM"}
    (read,) = read_exports([write_json(tmp_path / "c.json", cert)]).certificates
    assert read.not_after == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)


def _cidr_text(draw: st.DrawFn, fam: int) -> tuple[str, str]:
    """One network as CIDR and as one of Exchange's other notations for the same addresses."""
    bits = 32 if fam == 4 else 128
    plen = draw(st.integers(min_value=8 if fam == 4 else 16, max_value=bits))
    value = draw(st.integers(min_value=0, max_value=(1 << bits) - 1)) >> (bits - plen) << (bits - plen)
    net = ipaddress.ip_network((value, plen))
    kind = draw(st.sampled_from(["cidr", "range", "mask", "host"]))
    if kind == "range" or (kind == "mask" and fam == 6):
        text = f"{net.network_address}-{net.broadcast_address}"
    elif kind == "mask":
        text = f"{net.network_address}({net.netmask})"
    elif kind == "host" and plen == bits:
        text = str(net.network_address)
    else:
        text = str(net)
    return str(net), text


@st.composite
def notations(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    pairs = [_cidr_text(draw, draw(st.sampled_from([4, 6]))) for _ in range(draw(st.integers(1, 12)))]
    return [c for c, _ in pairs], [t for _, t in pairs]


@settings(max_examples=examples(150), deadline=None)
@given(notations())
def test_property_any_mix_of_notations_is_the_cidr_set_it_denotes(case: tuple[list[str], list[str]]) -> None:
    cidrs, texts = case
    from hybridfw.connectors.values import Props

    props = Props({"RemoteIPRanges": [{"Expression": t} if i % 2 else t for i, t in enumerate(texts)]},
                  "mem.json", 0)
    read = AddressSet.union_all(r.addresses for r in props.ranges("RemoteIPRanges"))
    assert read == AddressSet.parse(cidrs)


@pytest.mark.parametrize(("content", "message"), [
    (b"Get-ReceiveConnector : The term is not recognized", "not JSON"),
    (b'[{"Name": "Inbound", "Bindings": ["0.0.0.0:25"], "RemoteIPRanges": ["1.2.3.0/24"]', "truncated"),
    (b'{"Foo": 1, "Bar": 2}', "not an object hybridfw reads"),
    (b"", "empty file"),
    (b"[1, 2]", "expected a JSON object"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_exports([path])
    text = str(info.value)
    assert str(path) in text and message in text and "\n" not in text


@pytest.mark.parametrize(("prop", "value", "message"), [
    ("RemoteIPRanges", ["1.2.3.0/24", "1.2.3.999"], "not an IP address"),
    ("RemoteIPRanges", ["1.2.3.9-1.2.3.4"], "runs backwards"),
    ("PermissionGroups", "AnonymousUsers, Everyone", "unknown value 'Everyone'"),
    ("PermissionGroups", 1024, "bits"),
    ("AuthMechanism", True, "expected a number or names"),
    ("Bindings", ["0.0.0.0"], "bad binding"),
    ("Enabled", "maybe", "expected true or false"),
])
def test_bad_property_names_file_object_and_property(tmp_path: Path, prop: str, value: object,
                                                      message: str) -> None:
    doc = scoped_connector(["1.2.3.0/24"])
    doc[prop] = value
    path = write_json(tmp_path / "rc.json", [doc])
    with pytest.raises(InputError) as info:
        read_exports([path])
    text = str(info.value)
    assert f"{path} [{prop}]" in text and "object 1 (Inbound from Office 365)" in text and message in text


def test_missing_required_property_is_named(tmp_path: Path) -> None:
    cert = fixture("exchange-certificates.json")[0]
    del cert["Subject"]
    cert["CertificateDomains"] = ["x"]
    path = write_json(tmp_path / "c.json", cert)
    with pytest.raises(InputError, match=r"\[Subject\]"):
        read_exports([path])


def test_signatures_are_distinct() -> None:
    """No registered kind's signature is a subset of another's (detection stays unambiguous)."""
    for a in readers():
        for b in readers():
            if a is not b:
                assert not set(a.signature) <= set(b.signature), (a.cmdlet, b.cmdlet)


def test_collect_script_and_help_name_every_reader() -> None:
    """`--collect-script` and `connectors --help` (both from collect.EXPORTS) name the cmdlet of
    every registered reader, and no cmdlet without one."""
    from hybridfw.commands.connectors import HELP
    from hybridfw.connectors.collect import EXPORTS

    cmdlets = {r.cmdlet for r in readers()}
    assert {cmdlet for _, cmdlet, _ in EXPORTS} == cmdlets
    assert all(cmdlet in " ".join(HELP.split()) for cmdlet in cmdlets)


def test_json_round_trip_of_fixtures_is_stable() -> None:
    for name in MAIN_FILES:
        assert fixture(name)  # every fixture decodes as JSON in its own encoding
        assert json.dumps(fixture(name))
