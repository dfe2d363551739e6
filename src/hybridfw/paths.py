"""Where hybridfw keeps its data: $HYBRIDFW_HOME, else the platform's user data directory."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    env = os.environ.get("HYBRIDFW_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # lazy: keeps start-up lean

    return Path(platformdirs.user_data_dir("hybridfw", appauthor=False))
