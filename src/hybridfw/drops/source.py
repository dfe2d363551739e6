"""Open a deny log however it arrives: a file, a rotated `.gz`, or standard input (`-`).

The first 64 KiB are read to recognise the format and the encoding (the same sniffing as
`hybridfw trace`: UTF-8 with or without BOM, UTF-16, Windows "ANSI"); the rest is streamed.
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hybridfw.drops.interface import DropsError
from hybridfw.trace.source import sniff_encoding

HEAD_BYTES = 64 * 1024
HEAD_LINES = 200
_GZIP_MAGIC = b"\x1f\x8b"


class _Prefixed(io.RawIOBase):
    """A byte stream that first replays `head`, then reads on from `rest`."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class LogInput:
    """An opened log: its display name, encoding, first lines, and the stream of all lines."""

    name: str
    encoding: str
    head: tuple[str, ...]
    lines: Iterator[str]
    problems: list[str]  # filled while streaming: a truncated .gz ends the file early


def _read_head(stream: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _head_lines(text: str, complete: bool) -> tuple[str, ...]:
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last one may be cut in the middle
    return tuple(lines[:HEAD_LINES])


@contextmanager
def open_log(path: str) -> Iterator[LogInput]:
    """Open `path` ("-" = standard input). DropsError when it is empty, binary or unreadable."""
    name = "<stdin>" if path == "-" else path
    try:
        raw: BinaryIO = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115
    except FileNotFoundError:
        raise DropsError("no such file", path=name) from None
    except IsADirectoryError:
        raise DropsError("is a directory, not a log file", path=name) from None
    try:
        stream: BinaryIO = raw
        first = _read_head(raw)
        if first.startswith(_GZIP_MAGIC):
            stream = gzip.GzipFile(fileobj=_Buffered(first, raw), mode="rb")  # type: ignore[assignment]
            first = b""
        try:
            head = first + _read_head(stream) if stream is not raw else first
        except (OSError, EOFError) as exc:
            raise DropsError(f"cannot decompress: {exc}", path=name) from None
        yield _decoded(name, head, stream)
    finally:
        if path != "-":
            raw.close()


def _Buffered(head: bytes, rest: BinaryIO) -> io.BufferedReader:
    return io.BufferedReader(_Prefixed(head, rest), 1 << 16)


def _decoded(name: str, head: bytes, stream: BinaryIO) -> LogInput:
    if not head.strip():
        raise DropsError("the file is empty", path=name)
    encoding, _ = sniff_encoding(head)
    complete = len(head) < HEAD_BYTES
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if "\x00" in text or text.count("\ufffd") > max(8, len(text) // 100):
        raise DropsError("not a text log (binary content)", path=name)
    reader = io.TextIOWrapper(_Buffered(head, stream), encoding=encoding, errors="replace")
    problems: list[str] = []
    return LogInput(name, encoding, _head_lines(text, complete), _lines(reader, problems), problems)


def _lines(reader: io.TextIOWrapper, problems: list[str]) -> Iterator[str]:
    try:
        yield from reader
    except (OSError, EOFError) as exc:  # a truncated .gz: what was read so far still counts
        problems.append(f"the file ends early ({exc}); lines after that point were not read")
