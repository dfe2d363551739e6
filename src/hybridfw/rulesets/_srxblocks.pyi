"""Types of the compiled SRX policy block scan (_srxblocks.c; built by hatch_build.py when it can be)."""

# (start, after, block, name, line breaks, told), as `_srx_blocks.Found`
Found = tuple[int, int, str, str, int, tuple[str, ...] | bool | None]

def scan(text: str, /) -> list[Found] | None: ...
