"""Fixtures for the endpoint-data tests: a fake web service on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from _support.fake_m365_service import FakeService, running_service


@pytest.fixture
def service() -> Iterator[FakeService]:
    yield from running_service()
