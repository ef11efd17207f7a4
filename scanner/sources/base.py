"""What every source hands to the pipeline, and the one safe way to read a file.

A source walks something an agent can reach (a directory tree, git history, credential stores in
the home directory, the environment) and reports to a :class:`Sink`: documents to run detectors
on, hits it found itself by parsing a known format, and paths it skipped with the reason.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from scanner.model import Hit, Location

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Document:
    """Text to run detectors on, with the location template its hits inherit (line/column unset).

    The text never holds a lone surrogate: whatever a source passes (``surrogateescape`` output
    from a diff, an environment block, a store file), it is normalised here by
    :func:`text_safe`, so no detector, fingerprint, redactor or reporter downstream can fail
    with "surrogates not allowed". This is the one boundary every source goes through.
    """

    text: str
    origin: Location
    size: int
    decoded_with_errors: bool = False
    hosts: Mapping[str, str] = field(default_factory=dict)
    """Provider -> self-managed host known from outside the text (the environment's ``GH_HOST``
    for an ``env:GITHUB_TOKEN`` document); hosts inside the text are read by the detector."""

    def __post_init__(self) -> None:
        clean = text_safe(self.text)
        if clean is not self.text:
            object.__setattr__(self, "text", clean)
            object.__setattr__(self, "decoded_with_errors", True)


@dataclass(frozen=True)
class FileRef:
    """A regular file the walker vetted (type, links, size, filters) but has not read yet.

    Reading, decoding and detection then happen in one place, a detection worker on a parallel
    scan, so the walking process spends its time listing directories and not copying every
    file's text to the workers. :func:`read_document` reads it under the same rules as the
    walker itself (no FIFO or device opened, no symlink swapped in since followed).
    """

    path: str
    origin: Location
    size: int
    """The size ``stat`` gave: what the detector batches and decides on before the read."""
    max_size: int
    follow_symlinks: bool


def read_document(ref: FileRef) -> Document | SkipReason:
    """The file's text as a Document, or why it was not read (vanished, binary, grew too big...)."""
    data = read_regular_file(ref.path, ref.max_size, follow_symlinks=ref.follow_symlinks)
    if isinstance(data, SkipReason):
        return data
    text, lossy = decode(data)
    return Document(text, ref.origin, len(data), lossy)


def lossy_warning(path: str) -> str:
    return f"{path}: not valid UTF-8; scanned with the undecodable bytes read as Latin-1"


class Sink(Protocol):
    def document(self, doc: Document) -> None: ...

    def hit(self, hit: Hit) -> None: ...

    def skip(self, path: str, reason: str) -> None: ...

    def warn(self, message: str) -> None: ...


class SkipReason(str):
    """A reason a file was not read; a str so it can be counted and printed as is."""


SKIP_SPECIAL = SkipReason("special file (FIFO, socket or device; never opened)")
SKIP_TOO_LARGE = SkipReason("larger than the size limit")
SKIP_BINARY = SkipReason("binary")
SKIP_UNREADABLE = SkipReason("unreadable (permission denied)")
SKIP_VANISHED = SkipReason("vanished during the scan")
SKIP_SYMLINK_OUTSIDE = SkipReason("symlink pointing outside the scanned roots")
SKIP_SYMLINK_BROKEN = SkipReason("broken symlink")
SKIP_SYMLINK_LOOP = SkipReason("symlink loop")
SKIP_IO_ERROR = SkipReason("read error")
SKIP_EXCLUDED = SkipReason("excluded by --exclude")
SKIP_IGNORE_FILE = SkipReason("excluded by the scanned tree's .credreachignore")
SKIP_REPLACED_BY_SYMLINK = SkipReason("replaced by a symlink during the scan (not followed)")


_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _undecodable_as_latin1(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each byte that is not valid UTF-8 becomes the Latin-1 character of
    the same value (``\xf6`` -> ``ö``), so a Latin-1 or Windows-1252 file keeps its words and a
    mostly-UTF-8 file keeps its UTF-8; no byte is dropped and no surrogate is produced."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error("credreach-latin1", _undecodable_as_latin1)


def text_safe(text: str) -> str:
    """``text`` with every lone surrogate replaced (the same object when there is none).

    ``surrogateescape`` bytes (U+DC80..U+DCFF) become the Latin-1 character of the byte, the
    same rule as :func:`decode`; any other lone surrogate becomes U+FFFD.
    """
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: chr(ord(m.group()) - 0xDC00) if 0xDC80 <= ord(m.group()) <= 0xDCFF
                          else "\ufffd", text)


def wide_encoding(head: bytes) -> str | None:
    """UTF-16/UTF-32 text without a BOM, told from binary by where its NUL bytes are.

    Text in these encodings that is mostly ASCII (what PowerShell's ``Out-File`` and ``>``
    write on Windows PowerShell 5) has a NUL in every second (UTF-16) or three of every four
    (UTF-32) bytes, always at the same offsets; binary data has NULs scattered anywhere.
    """
    for bom, name in _BOMS:
        if head.startswith(bom) and name != "utf-8":
            return name
    sample = head[:BINARY_SNIFF_BYTES]
    if len(sample) < 4:
        return None
    if len(sample) >= 8 and len(sample) % 4 == 0:
        lanes4 = [sample[i::4] for i in range(4)]
        zero4 = [lane.count(0) / len(lane) for lane in lanes4]
        if zero4[1] > 0.95 and zero4[2] > 0.95 and zero4[3] > 0.95 and zero4[0] < 0.05:
            return "utf-32-le" if _mostly_text(sample, "utf-32-le") else None
        if zero4[0] > 0.95 and zero4[1] > 0.95 and zero4[2] > 0.95 and zero4[3] < 0.05:
            return "utf-32-be" if _mostly_text(sample, "utf-32-be") else None
    even, odd = sample[0::2], sample[1::2]
    if not odd:
        return None
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.6 and zero_even < 0.02:
        return "utf-16-le" if _mostly_text(sample, "utf-16-le") else None
    if zero_even > 0.6 and zero_odd < 0.02:
        return "utf-16-be" if _mostly_text(sample, "utf-16-be") else None
    return None


def _mostly_text(sample: bytes, encoding: str) -> bool:
    """Whether ``sample`` read as ``encoding`` is text: a NUL lane alone is not enough, since
    binary records of small integers (``00 01 00 01``) have one too, but decode to control codes."""
    unit = 4 if encoding.startswith("utf-32") else 2
    chars = sample[:len(sample) - len(sample) % unit].decode(encoding, "replace")
    if not chars:
        return False
    texty = sum(1 for ch in chars if ch.isprintable() or ch in "\t\r\n\f\v")
    return texty >= 0.95 * len(chars)


def looks_binary(head: bytes) -> bool:
    """NUL bytes in the first block mean binary (the rule git and grep use), unless they are the
    regular NULs of UTF-16/UTF-32 text (:func:`wide_encoding`)."""
    return b"\x00" in head[:BINARY_SNIFF_BYTES] and wide_encoding(head) is None


def decode(data: bytes) -> tuple[str, bool]:
    """Text of a file's bytes, and whether some bytes were not valid in the detected encoding.

    Never raises, whatever the bytes. A BOM decides the encoding (and is dropped); UTF-16/32
    without a BOM is recognised by its NUL pattern; anything else is UTF-8, where bytes that are
    not valid UTF-8 are kept as the Latin-1 character of the same value (so a Latin-1 file with
    a password is scanned, its text printable and its fingerprint stable). The result never
    holds a lone surrogate.
    """
    encoding = "utf-8"
    body = data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom):]
            break
    else:
        wide = wide_encoding(data) if b"\x00" in data[:BINARY_SNIFF_BYTES] else None
        if wide is not None:
            encoding = wide
    try:
        return body.decode(encoding), False
    except UnicodeDecodeError:
        pass
    if encoding == "utf-8":
        return body.decode("utf-8", "credreach-latin1"), True
    # A wide encoding with a broken unit (odd length, lone surrogate pair half): replace just those.
    return text_safe(body.decode(encoding, "replace")), True


def read_regular_file(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE,
                      follow_symlinks: bool = True, binary: bool = False) -> bytes | SkipReason:
    """Read a regular file without ever blocking on or opening a FIFO, socket or device.

    ``O_NONBLOCK`` keeps an open of a FIFO swapped in after ``lstat`` from hanging, and the
    ``fstat`` after opening re-checks the type on the file actually opened. With
    ``follow_symlinks=False`` (a walker that saw a plain file there) ``O_NOFOLLOW`` refuses a
    symlink swapped in since, which could otherwise point out of the scanned roots.
    ``binary=True`` reads binary content too (credreach's own cache files).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        st = os.stat(path, follow_symlinks=follow_symlinks)
        if stat.S_ISLNK(st.st_mode):
            return SKIP_REPLACED_BY_SYMLINK
    except FileNotFoundError:
        return SKIP_VANISHED
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError as exc:
        return SKIP_SYMLINK_LOOP if exc.errno == errno.ELOOP else SKIP_IO_ERROR
    if not stat.S_ISREG(st.st_mode):
        return SKIP_SPECIAL
    if st.st_size > max_size:
        return SKIP_TOO_LARGE
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return SKIP_VANISHED
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SKIP_SYMLINK_LOOP if follow_symlinks else SKIP_REPLACED_BY_SYMLINK
        return SKIP_IO_ERROR
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return SKIP_SPECIAL
        if st.st_size > max_size:
            return SKIP_TOO_LARGE
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_size:  # grew while we read it
                return SKIP_TOO_LARGE
            if not chunks and not binary and looks_binary(chunk):
                return SKIP_BINARY
            chunks.append(chunk)
        return b"".join(chunks)
    except PermissionError:
        return SKIP_UNREADABLE
    except OSError:
        return SKIP_IO_ERROR
    finally:
        os.close(fd)


def is_readable(path: str) -> bool:
    """Whether the running user (and so an agent running as this user) may read the file."""
    return os.access(path, os.R_OK)


def printable(text: str) -> str:
    """A name (path, ref) that every reporter and terminal can print, and that names *that* file.

    A name with undecodable bytes or control characters is shown in the shell's ANSI-C quoting,
    ``$'a\\x01b'``: unambiguous (a file literally named ``a\\x01b`` is shown as it is, without
    ``$'...'``), pasteable into bash/zsh, and reversible by :func:`raw_name` (SARIF puts the real
    bytes in its URIs). Raw bytes and ASCII controls are ``\\xNN``; other non-printable
    characters ``\\uNNNN``, so an undecodable byte 0x85 is never confused with U+0085.
    """
    if text.isprintable() and not text.startswith("$'"):
        return text
    out = ["$'"]
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in "\\'":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append("'")
    return "".join(out)


_ANSI_C = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|.)", re.S)


def raw_name(shown: str) -> bytes:
    """The bytes of the name :func:`printable` showed (its inverse; plain names are UTF-8)."""
    if not (len(shown) >= 3 and shown.startswith("$'") and shown.endswith("'")):
        return shown.encode("utf-8", "surrogateescape")
    body = shown[2:-1]
    out = bytearray()
    pos = 0
    for match in _ANSI_C.finditer(body):
        out += body[pos:match.start()].encode("utf-8", "surrogateescape")
        code = match.group(1)
        if code[0] == "x":
            out.append(int(code[1:], 16))
        elif code[0] in "uU" and len(code) > 1:
            out += chr(int(code[1:], 16)).encode("utf-8", "surrogatepass")
        else:
            out += code.encode("utf-8", "surrogateescape")
        pos = match.end()
    out += body[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)
