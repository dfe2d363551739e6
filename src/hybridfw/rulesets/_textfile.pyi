"""Types of the compiled ASCII file reader (_textfile.c; built by hatch_build.py when it can be)."""

from os import PathLike

def read_ascii(path: str | PathLike[str], /) -> str | None: ...
