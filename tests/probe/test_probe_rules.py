"""The probe's rules without peers: Exchange's certificate name matching (property-tested against
a regex oracle), Winsock classification of real errnos, target parsing, SPF parsing and counting."""

from __future__ import annotations

import asyncio
import errno
import re
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridfw.errors import InputError, SpfSyntaxError
from hybridfw.probe import exchange
from hybridfw.probe.certificate import expected_name, name_matches
from hybridfw.probe.dns import parse_nameserver
from hybridfw.probe.https import parse_paths, parse_web_target
from hybridfw.probe.smtp import parse_target
from hybridfw.probe.spf import LOOKUP_MECHANISMS, SpfTerm, parse_spf
from hybridfw.probe.winsock import classify_connect_error, classify_resolve_error

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
domain = st.lists(label, min_size=2, max_size=4).map(".".join)


def oracle(expected: str, presented: str) -> bool:
    """Independent statement of the rule: a wildcard is exactly one left-most label."""
    def pattern(name: str) -> str:
        if name.startswith("*."):
            return r"[^.*]+\." + re.escape(name[2:])
        return re.escape(name)

    e, p = expected.lower(), presented.lower()
    if "*" in e[1:] or "*" in p[1:] or (e.startswith("*") and not e.startswith("*.")) or \
            (p.startswith("*") and not p.startswith("*.")):
        return False
    if e.startswith("*.") and p.startswith("*."):
        return e == p
    if e.startswith("*."):
        return re.fullmatch(pattern(e), p) is not None
    return re.fullmatch(pattern(p), e) is not None


@given(st.sampled_from(["", "*.", "x*."]), domain, st.sampled_from(["", "*.", "a.", "a.b."]), domain,
       st.booleans())
def test_name_matching_agrees_with_the_oracle(e_prefix: str, e_base: str, p_prefix: str, p_base: str,
                                              same_base: bool) -> None:
    expected = e_prefix + e_base
    presented = p_prefix + (e_base if same_base else p_base)
    assert name_matches(expected, presented) == oracle(expected, presented)
    assert name_matches(expected.upper(), presented) == name_matches(expected, presented)


@given(label, domain)
def test_wildcard_covers_exactly_one_label(head: str, base: str) -> None:
    assert name_matches(f"{head}.{base}", f"*.{base}")
    assert not name_matches(base, f"*.{base}")
    assert not name_matches(f"x.{head}.{base}", f"*.{base}")
    assert name_matches(f"*.{base}", f"{head}.{base}")  # TlsDomain *.contoso.com vs mail.contoso.com


def test_embedded_wildcard_matches_nothing() -> None:
    assert not name_matches("mail.contoso.com", "m*.contoso.com")
    assert not name_matches("m*.contoso.com", "mail.contoso.com")


def test_expected_name_from_tls_certificate_name() -> None:
    assert expected_name("mail.contoso.com") == "mail.contoso.com"
    assert expected_name("<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com") == "mail.contoso.com"
    assert expected_name("<I>CN=CA<S>O=No Common Name") == ""


@pytest.mark.parametrize(("err", "kind", "code"), [
    (errno.ECONNREFUSED, "refused", 10061), (errno.ETIMEDOUT, "timed-out", 10060),
    (errno.ENETUNREACH, "net-unreachable", 10051), (errno.ECONNRESET, "reset", 10054),
    (errno.EHOSTUNREACH, "host-unreachable", 10065),
])
def test_errno_maps_to_winsock(err: int, kind: str, code: int) -> None:
    failure = classify_connect_error(OSError(err, "x"))
    assert (failure.kind, failure.winsock) == (kind, code)


def test_timeout_and_resolver_failures_map_to_winsock() -> None:
    assert classify_connect_error(TimeoutError()).winsock == 10060
    assert classify_resolve_error(socket.gaierror(socket.EAI_NONAME, "Name or service not known")).winsock \
        == 11001
    assert classify_resolve_error(socket.gaierror(socket.EAI_AGAIN, "Temporary failure")).winsock == 11002


def test_real_refused_connect_is_classified() -> None:
    with socket.socket() as probe_sock, socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        unused.close()
        with pytest.raises(OSError) as info:
            probe_sock.connect(("127.0.0.1", port))
    assert classify_connect_error(info.value).winsock == 10061


@pytest.mark.parametrize(("kind", "start"), [
    ("refused", "450 4.4.316 Connection refused [Message=Socket error code 10061]"),
    ("timed-out", "450 4.4.315 Connection timed out [Message=Socket error code 10060]"),
    ("reset", "450 4.4.318 Connection was closed abruptly [Message=Socket error code 10054]"),
    ("not-found", "450 4.4.312 DNS query failed"),
    ("net-unreachable", "450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1"),
])
def test_exchange_text_per_failure_kind(kind: str, start: str) -> None:
    codes = {"refused": 10061, "timed-out": 10060, "reset": 10054, "not-found": 11001,
             "net-unreachable": 10051}
    failure = classify_connect_error(OSError({"refused": errno.ECONNREFUSED, "timed-out": errno.ETIMEDOUT,
                                              "reset": errno.ECONNRESET,
                                              "net-unreachable": errno.ENETUNREACH}.get(kind, 0), "x"))
    if kind == "not-found":
        failure = classify_resolve_error(socket.gaierror(socket.EAI_NONAME, "x"))
    assert failure.winsock == codes[kind]
    text = exchange.connect_failure(failure, "mail.contoso.com", "192.0.2.1", 25).exchange
    assert text.startswith(start)
    assert "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=192.0.2.1:25]" in text


@pytest.mark.parametrize(("text", "host", "port"), [
    ("mail.contoso.com", "mail.contoso.com", 25), ("mail.contoso.com:2525", "mail.contoso.com", 2525),
    ("[::1]:2525", "::1", 2525), ("::1", "::1", 25), ("127.0.0.1", "127.0.0.1", 25),
])
def test_parse_target(text: str, host: str, port: int) -> None:
    target = parse_target(text)
    assert (target.host, target.port) == (host, port)


@pytest.mark.parametrize("text", ["", "host:0", "host:99999", "host:smtp", "[::1", "a b", "[::1]x"])
def test_bad_targets_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_target(text)


def test_parse_web_target_and_paths() -> None:
    assert parse_web_target("https://mail.contoso.com/owa") == ("mail.contoso.com", 443)
    assert parse_web_target("mail.contoso.com:8443") == ("mail.contoso.com", 8443)
    with pytest.raises(InputError):
        parse_web_target("http://mail.contoso.com")
    assert parse_paths("ews, mrsproxy") == ("ews", "mrsproxy")
    with pytest.raises(InputError):
        parse_paths("ews,owa")
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(InputError):
        parse_nameserver("dns.google")


# -- SPF ---------------------------------------------------------------------------------------
mechanism = st.builds(
    lambda q, name, value: f"{q}{name}{value}",
    st.sampled_from(["", "+", "-", "~", "?"]),
    st.sampled_from(["include", "a", "mx", "ptr", "exists", "ip4", "ip6"]),
    st.sampled_from([":example.org", ":192.0.2.0/24", ":2001:db8::/32"]),
).filter(lambda t: not (("ip4:" in t and ":192." not in t)  # RFC 7208: an address of the family
                         or ("ip6:" in t and ":2001:" not in t)))


@given(st.lists(mechanism, max_size=15),
       st.sampled_from(["", " -all", " ~all", " redirect=_spf.example.org"]))
def test_spf_round_trip_and_direct_lookup_count(terms: list[str], tail: str) -> None:
    text = " ".join(["v=spf1", *terms]) + tail
    record = parse_spf(text)
    assert " ".join(["v=spf1", *(t.render() for t in record.terms)]) == text
    expected = sum(1 for t in terms if t.lstrip("+-~?").split(":")[0] in LOOKUP_MECHANISMS)
    assert sum(t.counts_lookup for t in record.terms) == expected + ("redirect" in tail)


@pytest.mark.parametrize("text", [
    "v=spf2 -all", "v=spf1 include", "v=spf1 foo:bar", "v=spf1 -redirect=x", "v=spf1 ip4",
    "v=spf1 ip4:192.0.2.256", "v=spf1 ip4:192.0.2.0/33", "v=spf1 ip4:192.0.2.0/024", "v=spf1 ip6:192.0.2.1",
    "v=spf1 ip6:2001:db8::/129", "v=spf1 ip4/24", "v=spf1 -all:x", "v=spf1 a/33", "v=spf1 mx:x.test//129",
    "v=spf1 a:", "v=spf1 redirect=a.test redirect=b.test", "v=spf1 exp=a exp=b"])
def test_bad_spf_does_not_parse(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_spf(text)


def test_redirect_modifier_counts_as_a_lookup() -> None:
    assert SpfTerm("", "redirect", "x", modifier=True).counts_lookup


def test_plan_from_the_example_topology() -> None:
    from hybridfw.probe.plan import plan_from_topology
    from hybridfw.topology import load_topology

    example = Path(__file__).resolve().parents[2] / "examples" / "hybrid.toml"
    plan = plan_from_topology(load_topology(example))
    assert [str(t) for t in plan.smtp_targets] == ["203.0.113.10:25", "[2001:db8::10]:25"]
    assert plan.cert_name == "mail.contoso.com"
    assert plan.web_names == ("mail.contoso.com", "autodiscover.contoso.com")
    assert plan.skipped == ()


# -- SMTP replies ------------------------------------------------------------------------------
reply_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@given(st.integers(200, 599), st.lists(reply_text, min_size=1, max_size=6), st.integers(1, 7))
def test_smtp_reply_parser_reassembles_multiline_replies(code: int, lines: list[str], chunk: int) -> None:
    """Replies arrive in arbitrary pieces; the parser must give back the code and every line."""
    from hybridfw.probe.net import Channel, Connection
    from hybridfw.probe.smtp_session import read_reply

    wire = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{text}\r\n" for i, text in enumerate(lines))

    async def parse() -> tuple[int, tuple[str, ...]]:
        reader = asyncio.StreamReader()
        data = wire.encode()
        for start in range(0, len(data), chunk):
            reader.feed_data(data[start:start + chunk])
        reader.feed_eof()
        reply = await read_reply(Channel(Connection(reader, None, "127.0.0.1"), None))  # type: ignore[arg-type]
        return reply.code, reply.lines

    assert asyncio.run(parse()) == (code, tuple(lines))


def test_topology_urls_override_each_path_where_they_point() -> None:
    from hybridfw.probe.plan import WebTarget, web_targets

    found = web_targets(("mail.contoso.com", "autodiscover.contoso.com"),
                        (("ews", "https://mail.contoso.com/ews/exchange.asmx"),
                         ("mrsproxy", "https://mrs.contoso.com:8443/EWS/MRSProxy.svc")))
    rest = ("autodiscover", "autodiscover-wssecurity", "ews-wssecurity")
    assert found == (
        WebTarget("mail.contoso.com", 443, (*rest, "ews"), (("ews", "/ews/exchange.asmx"),)),
        WebTarget("autodiscover.contoso.com", 443, rest),
        WebTarget("mrs.contoso.com", 8443, ("mrsproxy",), (("mrsproxy", "/EWS/MRSProxy.svc"),)),
    )
    with pytest.raises(InputError, match=r"owa"):
        web_targets(("mail.contoso.com",), (("owa", "https://mail.contoso.com/owa"),))


def test_every_finding_code_is_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    source = "".join(p.read_text() for p in (root / "src" / "hybridfw" / "probe").glob("*.py"))
    documented = (root / "docs" / "probe.md").read_text()
    codes = set(re.findall(r'"(probe\.(?:smtp|https|dns|tls|cert)\.[a-z0-9-]+)"', source))
    assert len(codes) > 40
    assert sorted(c for c in codes if f"`{c}`" not in documented) == []
