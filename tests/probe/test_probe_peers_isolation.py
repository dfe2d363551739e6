"""The test peers' event loop never writes into the output of a command a later test runs in
this process (a flake of tests/cli/test_cli_lazy.py: aiosmtpd's session task, still pending when
a probe test's loop stopped, was collected during a later run_here() and its "Task was destroyed
but it is pending!" record reached that command's stderr through the root logger)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from _support import cli_runner
from _support.cli_runner import run_here
from _support.probe_peers import Peers


def _stopped_with_a_pending_task() -> Peers:
    """Peers whose loop stopped while one task still waited (as a probe's SMTP session can)."""
    peers = Peers()

    async def pending() -> None:
        await asyncio.sleep(3600)

    async def start() -> None:
        peers.loop.create_task(pending())
        await asyncio.sleep(0.05)

    asyncio.run_coroutine_threadsafe(start(), peers.loop).result(10)
    peers.loop.call_soon_threadsafe(peers.loop.stop)
    peers.thread.join(10)
    return peers


def test_a_pending_peer_task_collected_during_a_run_stays_out_of_its_stderr(
        monkeypatch: pytest.MonkeyPatch) -> None:
    held = [_stopped_with_a_pending_task()]
    main = cli_runner.main

    def main_collecting_the_loop() -> None:  # the task is destroyed while the command runs
        held.clear()
        gc.collect()
        main()

    monkeypatch.setattr(cli_runner, "main", main_collecting_the_loop)
    ran = run_here("--version")
    assert ran.returncode == 0
    assert ran.stderr == ""
