"""AddressSet against the stdlib `ipaddress` module as the oracle, IPv4 and IPv6.

Networks are drawn partly from a small corner of each family so that they overlap, nest and
touch often (the interesting cases), and partly from anywhere. The oracle works on
`ipaddress` networks only: collapse_addresses for union and minimal CIDRs, address_exclude for
difference, nesting for intersection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridfw.addresses import AddressError, AddressSet

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
BITS = {4: 32, 6: 128}
# A corner of each family: 192.0.2.0/22-ish and 2001:db8::/118-ish, so blocks collide.
CORNER = {4: (int(ipaddress.IPv4Address("192.0.0.0")), 10), 6: (int(ipaddress.IPv6Address("2001:db8::")), 10)}


@st.composite
def networks(draw: st.DrawFn, family: int) -> Net:
    bits = BITS[family]
    if draw(st.booleans()):
        base, span = CORNER[family]
        plen = draw(st.integers(bits - span, bits))
        addr = base + draw(st.integers(0, (1 << span) - 1))
    else:
        plen = draw(st.integers(0 if family == 6 else 1, bits))
        addr = draw(st.integers(0, (1 << bits) - 1))
    cls = ipaddress.IPv4Network if family == 4 else ipaddress.IPv6Network
    return cls((addr, plen), strict=False)


net_lists = st.lists(st.one_of(networks(4), networks(6)), max_size=12)


def collapse(nets: Iterable[Net]) -> list[Net]:
    nets = list(nets)
    out: list[Net] = []
    for version in (4, 6):
        out += ipaddress.collapse_addresses(n for n in nets if n.version == version)  # type: ignore[type-var]
    return out


def oracle_difference(a: Iterable[Net], b: Iterable[Net]) -> list[Net]:
    result = collapse(a)
    for cut in collapse(b):
        kept: list[Net] = []
        for n in result:
            if n.version != cut.version or not n.overlaps(cut):
                kept.append(n)
            elif not n.subnet_of(cut):  # type: ignore[arg-type]
                kept.extend(n.address_exclude(cut))  # type: ignore[arg-type]
        result = kept
    return collapse(result)


def oracle_intersection(a: Iterable[Net], b: Iterable[Net]) -> list[Net]:
    # Two CIDR blocks either nest or are disjoint, so their intersection is the smaller one.
    return collapse(
        (x if x.prefixlen >= y.prefixlen else y)
        for x in collapse(a) for y in collapse(b) if x.version == y.version and x.overlaps(y)
    )


def aset(nets: Iterable[Net]) -> AddressSet:
    return AddressSet.parse(str(n) for n in nets)


def strs(nets: Iterable[Net]) -> list[str]:
    return [str(n) for n in nets]


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists)
def test_to_cidrs_is_the_minimal_cover(a: list[Net]) -> None:
    assert aset(a).to_cidrs() == strs(collapse(a))


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, net_lists)
def test_union(a: list[Net], b: list[Net]) -> None:
    assert (aset(a) | aset(b)).to_cidrs() == strs(collapse(a + b))
    assert AddressSet.union_all([aset(a), aset(b)]) == aset(a) | aset(b)


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, net_lists)
def test_difference(a: list[Net], b: list[Net]) -> None:
    assert (aset(a) - aset(b)).to_cidrs() == strs(oracle_difference(a, b))


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, net_lists)
def test_intersection(a: list[Net], b: list[Net]) -> None:
    assert (aset(a) & aset(b)).to_cidrs() == strs(oracle_intersection(a, b))


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, net_lists)
def test_subset_and_disjoint(a: list[Net], b: list[Net]) -> None:
    assert aset(a).issubset(aset(b)) == (not oracle_difference(a, b))
    assert (aset(a) in aset(b)) == (not oracle_difference(a, b))
    assert aset(a).isdisjoint(aset(b)) == (not oracle_intersection(a, b))


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, st.lists(st.one_of(networks(4), networks(6)), min_size=1, max_size=8))
def test_contains_address(a: list[Net], probes: list[Net]) -> None:
    s = aset(a)
    for probe in probes:
        for address in (probe.network_address, probe.broadcast_address):
            want = any(address in n for n in a if n.version == address.version)
            assert s.contains_address(str(address)) == want
            assert s.contains_address(int(address), address.version) == want


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists)
def test_num_addresses_and_families(a: list[Net]) -> None:
    s = aset(a)
    for version in (4, 6):
        want = sum(n.num_addresses for n in collapse(a) if n.version == version)
        assert s.num_addresses(version) == want
        assert s.family(version).to_cidrs() == strs(n for n in collapse(a) if n.version == version)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from([4, 6]), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ranges_parse_like_summarize(family: int, x: int, y: int) -> None:
    lo, hi = sorted((x, y))
    cls = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    if family == 6:
        lo, hi = lo << 96, (hi << 96) | ((1 << 96) - 1)
    first, last = cls(lo), cls(hi)
    want = [str(n) for n in ipaddress.summarize_address_range(first, last)]
    s = AddressSet.parse([f"{first}-{last}"])
    assert s.to_cidrs() == want
    assert AddressSet.parse(s.to_ranges()) == s


@settings(deadline=None)  # the CI box is shared; timing is not what is tested
@given(net_lists, net_lists, net_lists)
def test_algebra_laws(a: list[Net], b: list[Net], c: list[Net]) -> None:
    x, y, z = aset(a), aset(b), aset(c)
    assert x - (y | z) == (x - y) & (x - z)
    assert x & (y | z) == (x & y) | (x & z)
    assert (x - y) | (x & y) == x
    assert (x | AddressSet.any()) == AddressSet.any()
    assert AddressSet.any() - (AddressSet.any() - x) == x


def _sparse_v6() -> st.SearchStrategy[int]:
    """IPv6 values with runs of zero hextets, where the text form has its corner cases."""
    hextet = st.one_of(st.just(0), st.just(0xFFFF), st.integers(1, 0xFFFF))
    return st.lists(hextet, min_size=8, max_size=8).map(
        lambda hs: sum(h << (16 * (7 - i)) for i, h in enumerate(hs)))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_sparse_v6(), st.integers(0, 2**128 - 1), st.integers(0, 2**48 - 1)),
       st.integers(0, 2**32 - 1))
def test_address_text_is_what_ipaddress_prints(v6: int, v4: int) -> None:
    six, four = ipaddress.IPv6Address(v6), ipaddress.IPv4Address(v4)
    assert AddressSet(v6=[(v6, v6)]).to_cidrs() == [f"{six}/128"]
    assert AddressSet(v4=[(v4, v4)]).to_cidrs() == [f"{four}/32"]


def _oracle_parse(text: str) -> tuple[int, int, int] | None:
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.broadcast_address)


def _ours_parse(text: str) -> tuple[int, int, int] | None:
    try:
        s = AddressSet.parse([text])
    except AddressError:
        return None
    (lo, hi), = s.v4 or s.v6
    return (4 if s.v4 else 6), lo, hi


@st.composite
def address_texts(draw: st.DrawFn) -> str:
    """Valid networks, mangled a little, and free text from the characters addresses use."""
    net = draw(st.one_of(networks(4), networks(6)))
    text = draw(st.sampled_from([str(net), str(net.network_address), net.exploded,
                                 f"{net.network_address}/{draw(st.text('0123456789', max_size=4))}"]))
    if draw(st.booleans()):
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.text("0123456789abcdefABCDEF:./%x", max_size=3)) + text[pos:]
    return text


@settings(max_examples=300, deadline=None)
@given(st.one_of(address_texts(), st.text("0123456789abcdef:./%", max_size=24)))
def test_parse_accepts_what_ipaddress_accepts(text: str) -> None:
    # The fast parser must neither widen nor narrow ipaddress's language, nor read differently.
    assert _ours_parse(text) == _oracle_parse(text)


def test_parse_errors_say_what_is_wrong() -> None:
    for text, reason in (("1.2.3.4-::1", "range mixes IPv4 and IPv6"),
                         ("10.0.0.9-10.0.0.1", "range runs backwards"),
                         ("10.0.0.256", "not an IP address, network or range"),
                         ("", "empty address")):
        with pytest.raises(AddressError, match=reason):
            AddressSet.parse([text])


def test_huge_prefix_length_is_an_address_error() -> None:
    """int() of more than 4300 digits raises ValueError; it must surface as AddressError (an
    iptables rule with such a '-s' crashed the audit with a traceback)."""
    for text in ("1.2.3.4/" + "1" * 5000, "2001:db8::/" + "9" * 5000):
        with pytest.raises(AddressError, match="not an IP address"):
            AddressSet.parse([text])


def test_covers_a_whole_family() -> None:
    assert AddressSet.any(4).covers(4) and not AddressSet.any(4).covers(6)
    assert AddressSet.any().covers(6)
    assert not AddressSet.parse(["0.0.0.0/1"]).covers(4)
    assert AddressSet.parse(["0.0.0.0/1", "128.0.0.0/1"]).covers(4)
