"""The RFC 7208 walk on in-memory records: redirect, macros, the mx host limit, the walk cap."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from hybridfw.probe.spf_walk import WALK_CAP, SpfWalk, walk_spf


def walk(records: dict[str, str], addresses: frozenset[str] = frozenset(),
         mx: dict[str, int] | None = None) -> SpfWalk:
    async def query(name: str, rdtype: str) -> list[Any]:
        if rdtype == "TXT":
            return [SimpleNamespace(strings=[records[name].encode()])] if name in records else []
        if rdtype == "MX":
            return [object()] * (mx or {}).get(name, 0)
        return [object()] if name in addresses else []

    return asyncio.run(walk_spf("top.test", query))


def test_redirect_counts_and_is_followed_only_without_all() -> None:
    found = walk({"top.test": "v=spf1 mx redirect=_spf.top.test", "_spf.top.test": "v=spf1 a -all"},
                 addresses=frozenset({"_spf.top.test"}), mx={"top.test": 1})  # a: the new <domain>
    assert [t.term for t in found.terms] == ["mx", "redirect=_spf.top.test", "a"]
    assert found.void_lookups == 0 and not found.broken
    ignored = walk({"top.test": "v=spf1 -all redirect=gone.test"})
    assert ignored.lookups == 0 and not ignored.broken


def test_macros_are_counted_but_not_followed() -> None:
    found = walk({"top.test": "v=spf1 exists:%{i}.bl.test include:%{d}.x.test -all"})
    assert found.lookups == 2 and found.void_lookups == 0
    assert len(found.not_followed) == 2 and found.exo_path is None


def test_missing_include_and_mx_with_too_many_hosts_are_permerrors() -> None:
    found = walk({"top.test": "v=spf1 include:gone.test mx:big.test -all"}, mx={"big.test": 11})
    assert found.broken == ["top.test -> gone.test: no SPF record",
                            "mx:big.test in top.test: 11 MX hosts (receivers look up at most 10)"]
    assert found.void_lookups == 1  # the included domain without records


def test_self_include_is_a_loop_and_fan_out_is_capped() -> None:
    assert walk({"top.test": "v=spf1 include:top.test -all"}).loops == [
        "top.test includes top.test, which is already being evaluated (top.test -> top.test)"]
    fan = {f"l{i}.test": "v=spf1 " + " ".join([f"include:l{i + 1}.test"] * 3) + " -all" for i in range(8)}
    fan["top.test"] = "v=spf1 include:l0.test -all"
    fan["l8.test"] = "v=spf1 -all"
    found = walk(fan)
    assert found.capped and found.lookups == WALK_CAP


def test_nested_includes_are_counted_and_the_loop_named() -> None:
    found = walk({"top.test": "v=spf1 include:a.example include:missing.example -all",
                  "a.example": "v=spf1 include:b.example mx a -all",
                  "b.example": "v=spf1 include:a.example ip4:192.0.2.1 -all"},
                 addresses=frozenset({"a.example"}), mx={"a.example": 1})
    assert found.lookups == 6  # include a, include b, b's include back to a, mx, a, include missing
    assert found.loops == ["b.example includes a.example, which is already being evaluated "
                           "(a.example -> b.example -> a.example)"]
    assert found.broken == ["top.test -> missing.example: no SPF record"]
