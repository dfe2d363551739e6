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
BLOCK_BYTES = 1 << 20
_ASCII_KEEPING = frozenset(("utf-8", "utf-8-sig", "cp1252"))  # ASCII bytes decode to themselves
_GZIP_MAGIC = b"\x1f\x8b"


class _Prefixed(io.RawIOBase):
    """A byte stream that first replays `head`, then reads on from `rest`."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int | None:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        readinto = getattr(self._rest, "readinto", None)
        if readinto is not None:  # no copy in between (files, gzip, standard input)
            count: int | None = readinto(buffer)
            return count
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
    # The same content as line-aligned byte blocks (the fast path; read either this or `lines`):
    # universal newlines applied as text mode does, BOM removed; decode with `block_encoding`.
    # None when the encoding does not keep ASCII as is (UTF-16).
    blocks: Iterator[bytes] | None = None
    block_encoding: str = ""


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
    buffered = _Buffered(head, stream)
    reader = io.TextIOWrapper(buffered, encoding=encoding, errors="replace")
    problems: list[str] = []
    blocks, block_encoding = None, ""
    if encoding in _ASCII_KEEPING:
        block_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        blocks = _blocks(buffered, problems, len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0)
    return LogInput(name, encoding, _head_lines(text, complete), _lines(reader, problems), problems,
                    blocks, block_encoding)


def _ends_early(exc: BaseException) -> str:
    return f"the file ends early ({exc}); lines after that point were not read"


def _lines(reader: io.TextIOWrapper, problems: list[str]) -> Iterator[str]:
    try:
        yield from reader
    except (OSError, EOFError) as exc:  # a truncated .gz: what was read so far still counts
        problems.append(_ends_early(exc))


def _newlines(data: bytes) -> bytes:
    """Universal newlines, as text mode reads: CR LF and a lone CR become LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def _blocks(reader: io.BufferedReader, problems: list[str], skip: int) -> Iterator[bytes]:
    """Blocks of about BLOCK_BYTES, each a run of whole lines ending in LF (see LogInput.blocks).

    One raw read at a time (`read1`): a truncated .gz loses only its last, unfinished line, as
    the text path does.
    """
    if skip:
        reader.read(skip)  # the byte order mark
    rest = b""
    while True:
        chunks, size, end, failed = [rest], len(rest), False, False
        try:
            while size < BLOCK_BYTES or len(chunks) == 1:
                chunk = reader.read1(BLOCK_BYTES)
                if not chunk:
                    end = True
                    break
                chunks.append(chunk)
                size += len(chunk)
        except (OSError, EOFError) as exc:
            problems.append(_ends_early(exc))
            end = failed = True
        data = b"".join(chunks)
        # up to the last line end; a CR at the very end may be the first half of a CR LF
        cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
        if end:
            if failed:
                data = data[:cut]  # the unfinished last line is lost, as in the text path
            elif data and not data.endswith(b"\n"):
                data += b"\n"  # the last line, without its line end
            if data:
                yield _newlines(data)
            return
        if cut:
            yield _newlines(data[:cut])
        rest = data[cut:]
