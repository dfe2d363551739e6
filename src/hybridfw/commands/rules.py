"""`hybridfw rules` (not written yet)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing to add yet."""
