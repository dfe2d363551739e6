"""Topology files: the example loads; every kind of mistake names the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.cli_runner import run_here
from hybridfw.errors import InputError
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[1]
GOOD = (REPO / "examples" / "hybrid.toml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topo.toml"
    path.write_text(text)
    return path


def test_example_topology_loads() -> None:
    topo = load_topology(REPO / "examples" / "hybrid.toml")
    assert (topo.instance, topo.mode, topo.ipv6) == ("Worldwide", "classic-full", True)
    assert topo.smtp.addresses.to_cidrs() == ["203.0.113.10/32", "2001:db8::10/128"]
    assert topo.smtp.tls_certificate_name == "mail.contoso.com"
    assert topo.web.names == ("mail.contoso.com", "autodiscover.contoso.com")
    assert topo.web.addresses.to_cidrs() == ["203.0.113.20/32"]
    assert not topo.overrides.smtp_inbound
    assert topo.is_full and topo.is_classic


def test_modern_example_loads() -> None:
    topo = load_topology(REPO / "examples" / "modern.toml")
    assert topo.mode == "modern-full" and topo.smtp.edge
    assert topo.hybrid_agent.addresses.to_cidrs() == ["198.51.100.30/32"]
    assert not topo.web.addresses  # absent sections are present and empty


BAD_CASES = [
    # (replace this, with that, expected key, expected line, words in the message)
    ("ipv6 = true", "ipv6 = true\ncolour = \"blue\"", "colour", 6, "unknown key"),
    ("edge = false", "edge = false\nport = 25", "smtp.port", 11, "unknown key"),
    ('"203.0.113.20"', '"203.0.113.300"', "web.addresses", 13, "bad address"),
    ('"2001:db8::10"', '"2001:db8::zz"', "smtp.addresses", 8, "bad address"),
    ("ipv6 = true", 'ipv6 = "yes"', "ipv6", 5, "expected bool"),
    ("edge = false", "edge = 1", "smtp.edge", 10, "expected bool"),
    ('mode = "classic-full"', 'mode = "hybrid-plus"', "mode", 3, "unknown mode"),
    ('instance = "Worldwide"', 'instance = "Mars"', "instance", 2, "unknown instance"),
    ('tls_certificate_name = "mail.contoso.com"', 'tls_certificate_name = "mail contoso"',
     "smtp.tls_certificate_name", 9, "not a host name"),
    ('tls_certificate_name = "mail.contoso.com"', "", "smtp.tls_certificate_name", None,
     "required in full modes"),
    ('addresses = ["203.0.113.20"]', "addresses = []", "web.addresses", 13, "at least one"),
    ("smtp_inbound = []", 'smtp_inbound = ["40.92.0.0/33"]', "overrides.smtp_inbound", 17,
     "bad address"),
    ("smtp_inbound = []", "smtp_inbound = [25]", "overrides.smtp_inbound", 17, "list of strings"),
    ("ipv6 = true", "ipv6 = false", "smtp.addresses", 8, "ipv6 = false"),
    ("[web]", "[webserver]", "webserver", None, "unknown key"),
]


@pytest.mark.parametrize(("old", "new", "key", "line", "words"), BAD_CASES,
                         ids=[c[2] + ":" + c[4] for c in BAD_CASES])
def test_bad_topology_names_the_key(tmp_path: Path, old: str, new: str, key: str,
                                    line: int | None, words: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as caught:
        load_topology(path)
    message = str(caught.value)
    assert caught.value.field == key
    assert f"[{key}]" in message and words in message and str(path) in message
    if line is not None:
        assert caught.value.line == line


def test_mode_needs_its_sections(tmp_path: Path) -> None:
    without_smtp = GOOD.split("[smtp]")[0] + "[web]" + GOOD.split("[web]")[1]
    with pytest.raises(InputError, match=r"\[smtp\].*section \[smtp\] is required"):
        load_topology(write(tmp_path, without_smtp))
    modern = 'mode = "modern-minimal"\n'
    with pytest.raises(InputError, match=r"\[hybrid_agent\]"):
        load_topology(write(tmp_path, modern))
    minimal = 'mode = "classic-minimal"\n[web]\naddresses = ["192.0.2.1"]\n'
    assert not load_topology(write(tmp_path, minimal)).smtp.addresses  # no [smtp] needed


def test_missing_mode(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\[mode\]: required"):
        load_topology(write(tmp_path, 'instance = "Worldwide"\n'))


def test_toml_syntax_error_carries_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("edge = false", "edge = = false"))
    with pytest.raises(InputError) as caught:
        load_topology(path)
    assert caught.value.line == 10
    assert str(caught.value).startswith(f"{path}:10: TOML syntax error")


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_topology(tmp_path / "absent.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00mode")
    with pytest.raises(InputError, match="not UTF-8"):
        load_topology(binary)


def test_cli_reports_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"203.0.113.20"', '"not-an-ip"'))
    res = run_here("flows", "--topology", str(path))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith(f"hybridfw: error: {path}:13 [web.addresses]: bad address")


def test_byte_order_mark_parses(tmp_path: Path) -> None:
    """Notepad and PowerShell 5.1 (`Out-File -Encoding utf8`) write a UTF-8 BOM."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_topology(path).mode == "classic-full"


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0", "64.0.0.0/2", "2000::/3", "0.0.0.0/7",
                                   "0.0.0.0-255.255.255.255"])
def test_an_override_open_to_everything_needs_allow_any(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, GOOD.replace("smtp_inbound = []", f'smtp_inbound = ["{value}"]'))
    with pytest.raises(InputError, match=r"overrides.smtp_inbound.*--allow-any"):
        load_topology(path)
    assert load_topology(path, allow_any=True).overrides.smtp_inbound.num_addresses() > 0
    res = run_here("flows", "-t", str(path), "--allow-any", "--json")
    assert res.returncode == 0, res.stderr


def test_a_slash_8_override_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("smtp_inbound = []", 'smtp_inbound = ["40.0.0.0/8"]'))
    assert load_topology(path).overrides.smtp_inbound.num_addresses() == 1 << 24


def test_host_bits_are_an_error_naming_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"203.0.113.10", ', '"203.0.113.10/24", '))
    with pytest.raises(InputError) as exc:
        load_topology(path)
    assert "[smtp.addresses]" in str(exc.value) and "203.0.113.0/24" in str(exc.value)


def test_service_area_typo_lists_the_valid_ones() -> None:
    res = run_here("endpoints", "show", "--service", "Exchnage")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "'Exchnage'" in res.stderr and "Exchange" in res.stderr and "SharePoint" in res.stderr
