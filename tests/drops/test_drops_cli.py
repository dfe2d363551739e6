"""`hybridfw drops` as a user runs it: exit codes, JSON shape, standard input, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from _support.cli_runner import Ran, run_here
from _support.drops import DATA, TOPOLOGY


def run(*args: str, stdin: bytes = b"") -> Ran:
    return run_here("drops", *args, stdin=stdin)


def test_json_document_and_exit_1_on_published_drops() -> None:
    done = run(str(DATA / "netfilter-syslog.log"), "--topology", str(TOPOLOGY), "--json")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema_version"] and doc["exit_code"] == 1
    assert {d["class"] for d in doc["drops"]} == {"published", "published-elsewhere",
                                                 "exchange-unlisted", "retired"}
    published = next(d for d in doc["drops"] if d["source"] == "40.107.0.0/16")
    assert published["count"] == 2 and published["set_id"] == 10 and published["rule"] == "HFW-DROP"
    assert published["evidence"].endswith("SYN URGP=0") and ":1: " in published["evidence"]
    assert doc["skipped"]["lines"] == 1 and "cut short" in doc["skipped"]["example"]
    assert {f["code"] for f in doc["findings"]} >= {"drops.published", "drops.unreadable-lines"}


def test_only_not_microsoft_drops_exit_0_and_stdin(tmp_path: Path) -> None:
    lines = [line for line in (DATA / "netfilter-syslog.log").read_text().splitlines(keepends=True)
             if "SRC=198.51.100" in line]
    done = run("-", "--topology", str(TOPOLOGY), "--json", "--all", stdin="".join(lines).encode())
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["counts"]["not-microsoft"] == 1 and doc["unrelated_drops"] == 1
    assert [d["class"] for d in doc["drops"]] == ["not-microsoft"]
    hidden = json.loads(run("-", "--topology", str(TOPOLOGY), "--json", stdin="".join(lines).encode()).stdout)
    assert hidden["drops"] == [] and hidden["counts"]["not-microsoft"] == 1


def test_since_until_window() -> None:
    done = run(str(DATA / "journal.json"), "--topology", str(TOPOLOGY), "--json",
               "--since", "2026-12-01T13:11:23", "--until", "2026-12-01T13:11:24Z")
    doc = json.loads(done.stdout)
    assert sum(doc["counts"].values()) == 2 and doc["outside_window"] == 7
    assert run(str(DATA / "journal.json"), "-t", str(TOPOLOGY), "--since", "yesterday").returncode == 2


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.log"
    garbage.write_bytes(b"\xff\xfe\x00garbage\x00" * 100)
    for args in ([str(garbage)], [str(tmp_path / "missing.log")], [str(DATA)],
                 [str(DATA / "dmesg.log"), "--format", "cisco-pix"]):
        done = run(*args, "--topology", str(TOPOLOGY))
        assert done.returncode == 2, (args, done.stderr)
        err = done.stderr
        assert "Traceback" not in err and err.count("\n") == 1, err


def test_terminal_output_names_classes() -> None:
    done = run(str(DATA / "dmesg.log"), "--topology", str(TOPOLOGY))
    text = done.stdout
    assert done.returncode == 1
    assert "exchange-unlisted" in text and "40.95.90.0/24" in text and "published" in text
