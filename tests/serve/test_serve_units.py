"""Pieces of the feed server without the network: intervals, the refresher's failure path,
feed content, metrics text."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support.serve_peers import TOPOLOGY
from hybridfw.endpoints import load_current
from hybridfw.errors import InputError
from hybridfw.serve.feeds import build_feeds
from hybridfw.serve.metrics import metrics_text
from hybridfw.serve.refresh import Refresher, RefreshSettings, parse_interval
from hybridfw.serve.state import ServerState, publish_data
from hybridfw.topology import load_topology


@given(st.integers(0, 48), st.integers(0, 59), st.integers(0, 59))
def test_interval_parses_any_combination(h: int, m: int, s: int) -> None:
    text = "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n) or "90s"
    expected = h * 3600 + m * 60 + s if text != "90s" else 90
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "5x", "1h 30m", "h", "-1h", "1.5h", "30mm"])
def test_interval_rejects_junk(text: str) -> None:
    with pytest.raises(InputError):
        parse_interval(text)


def test_interval_off() -> None:
    assert parse_interval("off") is None and parse_interval("0") is None


def state_for(home: Path) -> tuple[ServerState, object]:
    topology = load_topology(TOPOLOGY)
    published = publish_data(TOPOLOGY, topology, load_current(), home)
    return ServerState(TOPOLOGY, home, published), topology


def test_refresher_survives_an_unexpected_error(_isolated_home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr("hybridfw.endpoints.update.update_from_service", boom)
    state, topology = state_for(_isolated_home)
    before = state.published
    refresher = Refresher(state, topology, RefreshSettings(interval=3600))
    asyncio.run(refresher.refresh_once())
    assert state.published is before
    assert state.refresh.ok is False and "database is locked" in state.refresh.message
    assert "hybridfw_last_refresh_success 0" in metrics_text(state)


def test_feed_bytes_do_not_depend_on_build_time(_isolated_home: Path) -> None:
    from hybridfw.flows import required_flows

    data = load_current()
    flows = required_flows(load_topology(TOPOLOGY), data)
    first, second = build_feeds(flows, data), build_feeds(flows, data)
    assert first.bodies.keys() == second.bodies.keys()
    assert all(first.bodies[k].body == second.bodies[k].body for k in first.bodies)
    assert all(first.bodies[k].etag == second.bodies[k].etag for k in first.bodies)
    assert len({b.etag for b in first.bodies.values()}) > len(flows)  # formats and families differ
