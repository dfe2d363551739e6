"""Step: probe the on-premises side the way Exchange Online would (SMTP, HTTPS, DNS)."""

from __future__ import annotations

from hybridfw.check.interface import CheckContext, ReadinessStep


class ProbeStep(ReadinessStep):
    name = "probe"

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.probe

    def run(self, ctx: CheckContext) -> None:
        raise NotImplementedError("waiting for hybridfw.probe")


STEP = ProbeStep()
