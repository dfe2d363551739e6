"""What a renderer is: flows + endpoint data in, text files (and findings about them) out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hybridfw.model import EndpointData, Finding, Flow


@dataclass(frozen=True)
class RenderResult:
    """The files for one platform (name -> text) and what the renderer has to say about them.

    An ERROR finding means the files do not express every flow faithfully (the command exits 1).
    """

    platform: str
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "files": dict(sorted(self.files.items())),
            "findings": [f.to_dict() for f in self.findings],
        }


class Renderer(ABC):
    """One output platform, found by `name` (see `hybridfw.render.RENDERERS`)."""

    name: str
    description: str

    @abstractmethod
    def render(self, flows: Sequence[Flow], data: EndpointData) -> RenderResult:
        """Rules admitting exactly `flows`. Works for partial flows (e.g. only missing sources)."""
