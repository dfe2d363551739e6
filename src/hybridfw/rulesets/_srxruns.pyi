"""Types of the compiled SRX display-set line runs (_srxruns.c; built by hatch_build.py when it can be)."""

# (start, end, first line's number, lines, text, from zone, to zone, policy, told)
Run = tuple[int, int, int, int, str, str | None, str | None, str, tuple[str, ...] | None]

def runs(text: str, /) -> list[Run] | None: ...
