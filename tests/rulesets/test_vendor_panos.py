"""PAN-OS XML and set commands: the same policy in both files must audit identically; objects,
shared objects, nested and dynamic groups, services and groups, App-ID, negation, disabled
rules, zones and rule types, default rules, move, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.vendor import DATA, addrs, probe
from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import FlowCoverage
from hybridfw.errors import InputError
from hybridfw.rulesets import parse_files, parse_text

XML = DATA / "panos-features.xml"
SET = DATA / "panos-features.set"
MAIL = "203.0.113.10"
EOP_GROUP = addrs("10.0.0.0/8", "192.0.2.10-192.0.2.20")
BOTH = pytest.mark.parametrize("path", [XML, SET], ids=["xml", "set"])


def _same(a: FlowCoverage, b: FlowCoverage) -> bool:
    return (a.allowed, a.missing, a.unknown, a.stale) == (b.allowed, b.missing, b.unknown, b.stale)


@BOTH
def test_port_25_groups_shadow_app_and_fqdn(path: Path) -> None:
    row = probe(path, MAIL, 25, "untrust -> trust")
    assert row.allowed == EOP_GROUP - addrs("10.9.9.9")  # smtp on its default port 25
    assert row.missing == addrs("10.9.9.9")  # block-bad, moved to the top in the set file
    assert row.unknown == AddressSet.any(4) - EOP_GROUP  # bittorrent on 25, then the FQDN
    assert [s.addresses for s in row.shadowed] == [addrs("10.9.9.9")]
    evidence = " ".join(row.evidence["unknown"])
    assert "application bittorrent" in evidence and "fqdn address RELAY" in evidence


@BOTH
def test_application_default_includes_587(path: Path) -> None:
    row = probe(path, MAIL, 587, "untrust -> trust")
    assert row.allowed == EOP_GROUP - addrs("10.9.9.9")
    assert row.missing == AddressSet.any(4) - row.allowed
    assert "interzone-default" in " ".join(row.evidence["missing"])


@BOTH
def test_negated_source_through_service_group(path: Path) -> None:
    row = probe(path, MAIL, 2525, "untrust -> trust")
    assert row.allowed == AddressSet.any(4) - addrs("172.16.0.0/12", "10.9.9.9")
    assert row.missing == addrs("172.16.0.0/12", "10.9.9.9")


@BOTH
def test_zones_rule_types_and_defaults(path: Path) -> None:
    dmz = probe(path, "198.51.100.1", 25, "untrust -> dmz")
    assert dmz.unknown == AddressSet.any(4) - addrs("10.9.9.9")  # dynamic group after block-bad
    intrazone = probe(path, MAIL, 25, "trust -> trust")
    assert intrazone.missing == AddressSet.any(4)
    assert "intrazone-only" in " ".join(intrazone.evidence["missing"])
    # the intrazone rule does not apply between zones; interzone-default denies
    assert probe(path, MAIL, 25, "trust -> untrust").missing == AddressSet.any(4)
    # intrazone-default is overridden to deny
    assert probe(path, MAIL, 443, "untrust -> untrust").missing == AddressSet.any(4)


@BOTH
def test_disabled_rule_is_skipped_and_reported(path: Path) -> None:
    ruleset = parse_files([path])
    assert ruleset.platform == "paloalto"
    assert any(f.code == "audit.rule-disabled" and "disabled-any" in f.message for f in ruleset.findings)
    assert probe(path, MAIL, 443, "untrust -> trust").missing == AddressSet.any(4)


def test_xml_and_set_agree_everywhere() -> None:
    xml_entries = {e.name for e in parse_files([XML]).entries}
    assert xml_entries == {e.name for e in parse_files([SET]).entries}
    assert len(xml_entries) == 9
    for entry in sorted(xml_entries):
        for dst, port in ((MAIL, 25), (MAIL, 2525), ("2001:db8::1", 25), ("198.51.100.1", 80)):
            assert _same(probe(XML, dst, port, entry), probe(SET, dst, port, entry)), (entry, dst, port)


def test_formats_are_detected() -> None:
    assert parse_files([XML]).format == "panos"
    assert parse_files([SET]).format == "panos-set"


def test_set_move_reorders(tmp_path: Path) -> None:
    base = ["set zone a", "set zone b",
            "set rulebase security rules deny-all from a to b source any destination any "
            "application any service any action deny",
            "set rulebase security rules allow from a to b source 192.0.2.0/24 destination any "
            "application any service any action allow"]
    path = tmp_path / "p.set"
    path.write_text("\n".join(base) + "\n")
    assert not probe(path, "198.51.100.1", 25, "a -> b").allowed
    path.write_text("\n".join([*base, "move rulebase security rules deny-all bottom"]) + "\n")
    assert probe(path, "198.51.100.1", 25, "a -> b").allowed == addrs("192.0.2.0/24")
    path.write_text("\n".join([*base, "move rulebase security rules nope top"]) + "\n")
    with pytest.raises(InputError, match=r"p.set:5 \[move\]: cannot move rule nope"):
        parse_files([path])


@pytest.mark.parametrize(("text", "needle"), [
    ("<config><devices><entry><vsys><entry name='v'><rulebase>", "not well-formed"),
    ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><config/>", "DTD"),
    ("<policy><rules/></policy>", "not a PAN-OS <config>"),
    ("<config><devices/></config>", "no vsys"),
])
def test_bad_xml(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        parse_text(text, "cfg.xml", "panos")


def test_bad_set_command_names_line() -> None:
    with pytest.raises(InputError, match=r"c.set:2 \[command\]: not a set command"):
        parse_text("set zone a\nconfigure terminal\n", "c.set", "panos-set")


def test_negate_destination_and_unknown_zones(tmp_path: Path) -> None:
    path = tmp_path / "n.set"
    path.write_text("set address mail ip-netmask 203.0.113.10\n"
                    "set rulebase security rules not-mail from any to any source any destination mail "
                    "negate-destination yes application any service any action allow\n")
    ruleset = parse_files([path])
    assert [e.name for e in ruleset.entries] == ["any -> any"]
    other = probe(path, "203.0.113.11", 25, "any -> any")
    assert other.allowed == AddressSet.any(4)
    mail = probe(path, "203.0.113.10", 25, "any -> any")
    assert mail.unknown == AddressSet.any(4)  # no zones: intrazone or interzone default?
    assert "zones unknown" in " ".join(mail.evidence["unknown"])


def test_panorama_device_group_rule_order(tmp_path: Path) -> None:
    def rule(name: str, source: str, action: str) -> str:
        return (f'<entry name="{name}"><from><member>untrust</member></from><to><member>trust</member></to>'
                f"<source><member>{source}</member></source><destination><member>any</member></destination>"
                f"<application><member>any</member></application><service><member>any</member></service>"
                f"<action>{action}</action></entry>")

    def rulebase(*rules: str) -> str:
        return f"<security><rules>{''.join(rules)}</rules></security>"

    path = tmp_path / "panorama.xml"
    path.write_text(
        f"<config><shared><pre-rulebase>{rulebase(rule('sp', '10.0.0.1', 'deny'))}</pre-rulebase>"
        f"<post-rulebase>{rulebase(rule('spo', '10.0.0.0/8', 'allow'))}</post-rulebase></shared>"
        f"<devices><entry name='localhost.localdomain'><device-group><entry name='edge'>"
        f"<pre-rulebase>{rulebase(rule('dp', '10.0.0.0/24', 'allow'))}</pre-rulebase>"
        f"<post-rulebase>{rulebase(rule('dpo', '10.0.1.0/24', 'deny'))}</post-rulebase>"
        f"</entry></device-group></entry></devices></config>")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")
    assert row.allowed == addrs("10.0.0.0/8") - addrs("10.0.0.1", "10.0.1.0/24")


@pytest.mark.parametrize("fmt", ["panos", "pfsense"])
@pytest.mark.parametrize("encoding", ["jumputf-8", "latin-1", "utf-16"])
def test_xml_declaration_encoding_does_not_steer_the_parser(fmt: str, encoding: str) -> None:
    """The file is already decoded text: a declared encoding (even a bogus one, as the fuzzer
    found: it raised LookupError) is not used again."""
    root = "config" if fmt == "panos" else "pfsense"
    text = f'<?xml version="1.0" encoding="{encoding}"?><{root}><x>é</x></{root}>'
    try:
        parse_text(text, "cfg.xml", fmt)
    except InputError as exc:
        assert "encoding" not in str(exc).lower()


def test_panorama_set_commands_keep_shared_and_post_rules_in_place(tmp_path: Path) -> None:
    """The set form of the rule order above: shared pre-rules first, shared post-rules last,
    a group's post-rules after its pre-rules whatever the order of the lines. Shared rules were
    left out (a shared 'deny' let the group's 'allow' answer 'allowed'), post-rules kept their
    line order, and a move in a pre- or post-rulebase was ignored."""
    def rule(where: str, name: str, source: str, action: str) -> str:
        return (f"set {where} security rules {name} from untrust to trust source {source} "
                f"destination any application any service any action {action}\n")

    path = tmp_path / "panorama.set"
    path.write_text(rule("device-group edge post-rulebase", "dpo", "10.0.1.0/24", "deny")
                    + rule("shared post-rulebase", "spo", "10.0.0.0/8", "allow")
                    + rule("device-group edge pre-rulebase", "dp", "10.0.0.0/24", "allow")
                    + rule("shared pre-rulebase", "sp", "10.0.0.1", "deny")
                    + rule("device-group edge pre-rulebase", "dp2", "10.0.0.2", "deny")
                    + "move device-group edge pre-rulebase security rules dp2 top\n")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust", fmt="panos-set")
    assert row.allowed == addrs("10.0.0.0/8") - addrs("10.0.0.1", "10.0.0.2", "10.0.1.0/24")


@pytest.mark.parametrize(("target", "set_target", "decided"), [
    ("<devices><entry name='0001'/></devices><negate>no</negate>", ["devices 0001", "negate no"], False),
    ("<devices><entry name='0001'/><entry name='0002'/></devices>", ["devices [ 0001 0002 ]"], True),
    ("<devices><entry name='0001'/></devices><negate>yes</negate>", ["devices 0001", "negate yes"], False),
    ("<devices><entry name='0009'/></devices><negate>yes</negate>", ["devices 0009", "negate yes"], True),
    ("<devices><entry name='0001'><vsys><entry name='vsys1'/></vsys></entry><entry name='0002'/>"
     "</devices>", ["devices 0001 vsys vsys1", "devices 0002"], False),
    ("<tags><member>branch</member></tags>", ["tags branch"], False),
    ("<negate>no</negate>", ["negate no"], True),
])
def test_panorama_rule_target_limits_the_firewalls(tmp_path: Path, target: str, set_target: list[str],
                                                    decided: bool) -> None:
    """A Panorama rule whose <target> leaves out some firewalls of the device-group may not be
    on the audited one: its verdict is unknown, naming the target (it was taken as pushed to
    every firewall, so an allow for one branch read as 'allowed' everywhere)."""
    path = tmp_path / "panorama.xml"
    path.write_text(
        "<config><devices><entry name='localhost.localdomain'><device-group><entry name='edge'>"
        "<devices><entry name='0001'/><entry name='0002'/></devices><pre-rulebase><security><rules>"
        f"<entry name='mail'><target>{target}</target><from><member>untrust</member></from>"
        "<to><member>trust</member></to><source><member>any</member></source>"
        "<destination><member>any</member></destination><application><member>any</member>"
        "</application><service><member>any</member></service><action>allow</action></entry>"
        "</rules></security></pre-rulebase></entry></device-group></entry></devices></config>")
    set_path = tmp_path / "panorama.set"
    rule = "set device-group edge pre-rulebase security rules mail"
    set_path.write_text("\n".join([
        "set device-group edge devices 0001", "set device-group edge devices 0002",
        f"{rule} from untrust to trust source any destination any application any service any action allow",
        *(f"{rule} target {words}" for words in set_target)]) + "\n")
    for one, fmt in ((path, "panos"), (set_path, "panos-set")):
        row = probe(one, "203.0.113.10", 25, "untrust -> trust", fmt=fmt)
        if decided:
            assert row.allowed == AddressSet.any(4), fmt
        else:
            assert not row.allowed and row.unknown == AddressSet.any(4), fmt
            assert "target" in " ".join(row.evidence["unknown"]), fmt


def _group(name: str, inner: str, parent: str = "") -> str:
    parent_dg = f"<parent-dg>{parent}</parent-dg>" if parent else ""
    return f"<entry name='{name}'>{parent_dg}{inner}</entry>"


def _rulebase(where: str, name: str, destination: str, action: str) -> str:
    return (f"<{where}><security><rules><entry name='{name}'><from><member>untrust</member></from>"
            "<to><member>trust</member></to><source><member>any</member></source>"
            f"<destination><member>{destination}</member></destination><application><member>any"
            "</member></application><service><member>any</member></service>"
            f"<action>{action}</action></entry></rules></security></{where}>")


def _panorama(groups: str, readonly: str = "") -> str:
    return (f"<config>{readonly}<devices><entry name='localhost.localdomain'><device-group>{groups}"
            "</device-group></entry></devices></config>")


def test_panorama_parent_device_group_rules_and_objects_are_inherited(tmp_path: Path) -> None:
    """A child device-group's firewalls evaluate the parent's pre-rules before the child's and its
    post-rules after them, and see the parent's objects (PAN-OS Panorama device-group hierarchy);
    the parent is named in the export's readonly section or in the group. The parent's deny was
    left out, so the child's allow answered 'allowed'."""
    hq = _group("HQ", "<address><entry name='mx'><ip-netmask>203.0.113.10</ip-netmask></entry></address>"
                + _rulebase("pre-rulebase", "no-smtp", "mx", "deny")
                + _rulebase("post-rulebase", "late", "203.0.113.11", "allow"))
    readonly = ("<readonly><devices><entry name='localhost.localdomain'><device-group><entry name='HQ'/>"
                "<entry name='branch'><parent-dg>HQ</parent-dg></entry></device-group></entry></devices>"
                "</readonly>")
    for text in (_panorama(hq + _group("branch", _rulebase("pre-rulebase", "in", "203.0.113.0/28", "allow")),
                           readonly),
                 _panorama(hq + _group("branch", _rulebase("pre-rulebase", "in", "203.0.113.0/28", "allow"),
                                       "HQ"))):
        path = tmp_path / "panorama.xml"
        path.write_text(text)
        row = probe(path, "203.0.113.10", 25, "branch untrust -> trust")
        assert not row.allowed and row.missing == AddressSet.any(4)
        assert probe(path, "203.0.113.12", 25, "branch untrust -> trust").allowed == AddressSet.any(4)
    path.write_text(_panorama(_group("branch", _rulebase("pre-rulebase", "in", "any", "allow"), "gone")))
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")  # one group: no prefix
    assert row.unknown == AddressSet.any(4) and "device-group gone" in " ".join(row.evidence["unknown"])
    path.write_text(_panorama(_group("a", "", "b") + _group("b", "", "a")))
    with pytest.raises(InputError, match="makes a loop"):
        parse_files([path], "panos")


@pytest.mark.parametrize("system", ["<panorama-server>10.9.9.9</panorama-server>",
                                    "<panorama><local-panorama><panorama-server>10.9.9.9</panorama-server>"
                                    "</local-panorama></panorama>"])
def test_firewall_managed_by_panorama_is_unknown(tmp_path: Path, system: str) -> None:
    """A firewall's own export leaves out the pre-rules Panorama pushes (evaluated before its
    rules) and the post-rules: with a panorama-server configured, its 'allow' answered 'allowed'
    though a pushed pre-rule may deny. Every verdict is unknown, naming the server."""
    rule = ("<entry name='mail'><from><member>untrust</member></from><to><member>trust</member></to>"
            "<source><member>any</member></source><destination><member>any</member></destination>"
            "<application><member>any</member></application><service><member>any</member></service>"
            "<action>allow</action></entry>")
    xml = tmp_path / "fw.xml"
    xml.write_text(f"<config><devices><entry name='localhost.localdomain'><deviceconfig><system>{system}"
                   "</system></deviceconfig><vsys><entry name='vsys1'><rulebase><security><rules>"
                   f"{rule}</rules></security></rulebase></entry></vsys></entry></devices></config>")
    words = ("panorama-server" if system.startswith("<panorama-server")
             else "panorama local-panorama panorama-server")
    set_path = tmp_path / "fw.set"
    set_path.write_text(f"set deviceconfig system {words} 10.9.9.9\n"
                        "set rulebase security rules mail from untrust to trust source any destination any "
                        "application any service any action allow\n")
    for path, fmt in ((xml, "panos"), (set_path, "panos-set")):
        row = probe(path, "203.0.113.10", 25, "untrust -> trust", fmt=fmt)
        assert not row.allowed and row.unknown == AddressSet.any(4), fmt
        assert "managed by Panorama 10.9.9.9" in " ".join(row.evidence["unknown"]), fmt


def test_panorama_default_rule_overrides_a_group_wins_over_shared(tmp_path: Path) -> None:
    """Default rules: a device-group's override wins over shared's (Panorama administrator's
    guide: the lower context overrides the higher). Shared was read last, so its 'allow' of
    interzone-default beat the group's 'deny' ('allowed'); the set form left shared's out."""
    def defaults(action: str) -> str:
        return (f"<post-rulebase><default-security-rules><rules><entry name='interzone-default'>"
                f"<action>{action}</action></entry></rules></default-security-rules></post-rulebase>")

    path = tmp_path / "panorama.xml"
    group = _group("edge", _rulebase("pre-rulebase", "other", "203.0.113.99", "allow") + defaults("deny"))
    path.write_text(f"<config><shared>{defaults('allow')}</shared><devices>"
                    f"<entry name='localhost.localdomain'><device-group>{group}</device-group></entry>"
                    "</devices></config>")
    row = probe(path, "203.0.113.10", 25, "untrust -> trust")
    assert not row.allowed and row.missing == AddressSet.any(4)
    set_path = tmp_path / "panorama.set"
    rule = "default-security-rules rules interzone-default action"
    set_path.write_text(f"set shared post-rulebase {rule} allow\n"
                        "set device-group edge pre-rulebase security rules other from untrust to trust "
                        "source any destination 203.0.113.99 application any service any action allow\n")
    mail = ("203.0.113.10", 25, "untrust -> trust")
    assert probe(set_path, *mail, fmt="panos-set").allowed == AddressSet.any(4)
    set_path.write_text(set_path.read_text() + f"set device-group edge post-rulebase {rule} deny\n")
    assert probe(set_path, *mail, fmt="panos-set").missing == AddressSet.any(4)
