"""Fixtures for the probe tests: one loop thread of loopback servers per module, a test CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from _support.probe_peers import Peers


@pytest.fixture(scope="module")
def peers() -> Iterator[Peers]:
    hosts = Peers()
    yield hosts
    hosts.close()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path
