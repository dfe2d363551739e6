"""Types of the compiled filter-rule reader (_xmlrules.c; built by hatch_build.py when it can be)."""

def scan(data: bytes, section: bytes, item: bytes, /) -> tuple[
    list[tuple[int, dict[str, str]] | None], int, int, int, bool] | None: ...
