"""Differential: a ruleset file read straight into its str (`_textfile.c`, compiled build)
against the reference read (bytes, then decoded as UTF-8 with errors replaced): the same text or
the same error, for ASCII files, files with other bytes (the reference then reads them), NUL
bytes before and after the first 64 KiB, empty and blank files, and a directory."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import require_extension
from hybridfw import rulesets
from hybridfw.errors import InputError
from hybridfw.rulesets import read_ruleset_text

require_extension(rulesets._textfile, "hybridfw.rulesets._textfile")

PIECES = st.sampled_from((b"-A INPUT -s 10.0.0.0/8 -j ACCEPT\n", b"*filter\n", b"\r\n", b" ", b"\n", b"\t",
                          b"\x00", b"\x7f", b"\x80", b"\xc3\xa9", b"\xff", b"\xe2\x80\xa8", b"COMMIT"))


def read(path: Path, compiled: bool) -> tuple[str, str]:
    with mock.patch.object(rulesets, "_textfile", rulesets._textfile if compiled else None):
        try:
            return "text", read_ruleset_text(path)
        except InputError as exc:
            return "error", str(exc)


@settings(max_examples=examples(300, 60), deadline=None)
@given(st.lists(PIECES, max_size=40), st.integers(0, 70000), st.booleans())
def test_the_compiled_read_gives_the_reference_text(pieces: list[bytes], pad: int, padded: bool) -> None:
    data = (b"#" * pad + b"\n" if padded else b"") + b"".join(pieces)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.v4"
        path.write_bytes(data)
        assert read(path, True) == read(path, False)


def test_the_compiled_read_takes_an_ascii_file_and_leaves_others_to_the_reference(tmp_path: Path) -> None:
    plain, other = tmp_path / "plain", tmp_path / "other"
    plain.write_bytes(b"*filter\r\nCOMMIT\n")
    other.write_bytes(b"# r\xc3\xa9seau\n*filter\n")
    assert rulesets._textfile.read_ascii(plain) == "*filter\r\nCOMMIT\n"
    assert rulesets._textfile.read_ascii(other) is None
    assert read_ruleset_text(other) == "# réseau\n*filter\n"
    with pytest.raises(FileNotFoundError):
        rulesets._textfile.read_ascii(tmp_path / "missing")
    assert read(tmp_path, True) == read(tmp_path, False) == (
        "error", f"{tmp_path}: is a directory: name the ruleset file(s) in it")
    assert read(tmp_path / "missing", True) == read(tmp_path / "missing", False)


@pytest.mark.parametrize("at", [0, 65535, 65536])
def test_a_nul_byte_is_binary_in_the_first_64_kib_only(tmp_path: Path, at: int) -> None:
    path = tmp_path / "rules.v4"
    path.write_bytes(b"#" * at + b"\x00\n*filter\n")
    binary = ("error", f"{path}: binary file, not a ruleset")
    assert read(path, True) == read(path, False) == (
        binary if at < 65536 else ("text", "#" * at + "\x00\n*filter\n"))
