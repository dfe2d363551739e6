"""`feeds export`: the server's feeds as static files, byte-identical to what it serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridfw.fileio import write_atomic
from hybridfw.serve.feeds import export_name, feed_documents


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    version: str
    files: tuple[str, ...]
    changed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "data_version": self.version,
                "files": list(self.files), "changed": list(self.changed)}


def _write_if_changed(path: Path, body: bytes) -> bool:
    """Skipped when the content is already there (keeps mtimes, so caches stay valid)."""
    try:
        if path.read_bytes() == body:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, body)
    return True


def export_feeds(directory: Path, topology_path: Path, home: Path | None = None) -> ExportResult:
    from hybridfw.endpoints import load_current
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    topology = load_topology(topology_path)
    data = load_current(topology.instance, home)
    documents = feed_documents(required_flows(topology, data), data)
    directory.mkdir(parents=True, exist_ok=True)
    names, changed = [], []
    for (flow_id, fmt, family), body in sorted(documents.items()):
        name = export_name(flow_id, fmt, family)
        names.append(name)
        if _write_if_changed(directory / name, body):
            changed.append(name)
    return ExportResult(directory, data.version_label(), tuple(names), tuple(changed))
