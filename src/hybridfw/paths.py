"""Where hybridfw keeps its data: $HYBRIDFW_HOME, else the platform's user data directory."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

STORE_FILE = "endpoints.sqlite3"  # the endpoint data store in the data home (endpoints.store)


def data_home() -> Path:
    env = os.environ.get("HYBRIDFW_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # lazy: keeps start-up lean

    return Path(platformdirs.user_data_dir("hybridfw", appauthor=False))


def shipped_bytes(package: str, name: str) -> bytes:
    """The data file `name` shipped in `package`, read by the package's own loader (from a
    directory or a zip), as importlib.resources would: without importing importlib.resources,
    tempfile and zipfile (with endpoints.load_current's lazy store: one-rule audit -7 %)."""
    module = importlib.import_module(package)
    loader = module.__spec__.loader if module.__spec__ is not None else None
    get_data = getattr(loader, "get_data", None)
    if get_data is None or module.__file__ is None:  # a loader without files: as before
        from importlib import resources

        return resources.files(package).joinpath(name).read_bytes()
    data: bytes = get_data(os.path.join(os.path.dirname(module.__file__), name))
    return data
