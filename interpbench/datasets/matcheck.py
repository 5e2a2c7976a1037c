"""A structural check of a MATLAB 5 file's tags before scipy reads it.

scipy's MAT reader trusts the type and size tags of a file: a damaged one can crash the whole
interpreter with a segmentation fault instead of raising (seen with scipy 1.17 on an SVHN file
cut short whose data tag had been zeroed, found by the property-based tests). This check walks
the tags without reading any array data: every top-level element must be a matrix (plain or
zlib-compressed) that fits in the file, and each numeric matrix's header (flags, dimensions,
name) and data tag must agree: known types, and exactly ``prod(dims)`` items of data. What
passes is left to scipy, which raises ordinary exceptions for anything else.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from ..errors import DataError

__all__ = ["check_mat5"]

_HEADER = 128
_MATRIX, _COMPRESSED = 14, 15
# Numeric data types of a tag and their item size (MAT-file format, table 1-1).
_ITEM = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8}
_NUMERIC_CLASSES = range(6, 16)  # double, single, int8 … uint64
_PEEK = 512  # bytes of a matrix's body that hold its flags, dimensions, name and data tag


def _pad8(n: int) -> int:
    return n + (-n % 8)


class _Tags:
    """Reads tags of one byte order from a buffer, with one sentence for each way a tag can be wrong."""

    def __init__(self, where: str, order: str) -> None:
        self.where, self.order = where, order

    def fail(self, problem: str) -> DataError:
        return DataError(f"{self.where!r} is not a readable MATLAB file (truncated or corrupt?): {problem}")

    def tag(self, buf: bytes, off: int) -> tuple[int, int, int, int]:
        """(type, nbytes, data offset, next offset) of the tag at ``off``; small (≤ 4-byte) elements included."""
        if off + 8 > len(buf):
            raise self.fail("a data element is cut short")
        first, second = struct.unpack_from(self.order + "II", buf, off)
        if first >> 16:  # small data element: type and size share the first word
            kind, size = first & 0xFFFF, first >> 16
            if size > 4:
                raise self.fail(f"a small data element claims {size} bytes")
            return kind, size, off + 4, off + 8
        return first, second, off + 8, off + 8 + _pad8(second)

    def matrix(self, body: bytes, length: int) -> None:
        """Check the header of a matrix whose body (``length`` bytes in all) starts with ``body``."""
        if length == 0:
            return  # an empty matrix: scipy reads it as an empty array
        kind, size, at, off = self.tag(body, 0)
        if kind != 6 or size != 8:
            raise self.fail("a matrix does not start with its array flags")
        flags = struct.unpack_from(self.order + "I", body, at)[0]
        array_class, is_complex = flags & 0xFF, bool(flags & 0x0800)
        kind, size, at, off = self.tag(body, off)
        if kind != 5 or size < 8 or size % 4:
            raise self.fail("a matrix has malformed dimensions")
        if at + size > len(body):
            raise self.fail("a matrix has more dimensions than it can hold")
        dims = struct.unpack_from(f"{self.order}{size // 4}i", body, at)
        if min(dims) < 0:
            raise self.fail(f"a matrix has a negative dimension {min(dims)}")
        kind, size, at, off = self.tag(body, off)
        if kind != 1:
            raise self.fail("a matrix has no name")
        if array_class not in _NUMERIC_CLASSES:
            return  # cells, structs, text: scipy checks these itself, and SVHN has none of them
        items = 1
        for d in dims:
            items *= d
        for part in ("real", "imaginary") if is_complex else ("real",):
            kind, size, at, off = self.tag(body, off)
            if kind not in _ITEM:
                raise self.fail(f"the {part} data of a matrix has the unknown type {kind}")
            if size != items * _ITEM[kind]:
                raise self.fail(f"the {part} data of a {'×'.join(map(str, dims))} matrix holds {size} bytes, "
                                f"not {items * _ITEM[kind]}")
            if at + size > length:
                raise self.fail(f"the {part} data of a matrix runs past its end")
            if is_complex and part == "real" and off + 8 > len(body):
                break  # the imaginary tag lies beyond the peeked bytes; scipy bounds-checks it as a stream


def _compressed_head(f: BinaryIO, size: int) -> bytes:
    """The first :data:`_PEEK` bytes of the zlib stream of ``size`` bytes at the file's position."""
    inflate = zlib.decompressobj()
    head = b""
    left = size
    try:
        while left and len(head) < _PEEK:
            chunk = f.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
            head += inflate.decompress(chunk, _PEEK - len(head))
            while inflate.unconsumed_tail and len(head) < _PEEK:
                head += inflate.decompress(inflate.unconsumed_tail, _PEEK - len(head))
    except zlib.error as exc:
        raise DataError(f"a compressed variable is corrupt ({exc})") from None
    return head


def check_mat5(path: str | os.PathLike[str]) -> None:
    """Raise :class:`DataError` unless ``path`` is a MATLAB 5 file whose tags are consistent."""
    where = os.fspath(path)
    try:
        total = Path(path).stat().st_size
        with open(path, "rb") as f:
            header = f.read(_HEADER)
            if len(header) < _HEADER or header[126:128] not in (b"IM", b"MI"):
                raise DataError(f"{where!r} is not a MATLAB 5 file (SVHN's format): its 128-byte header is missing or damaged")
            tags = _Tags(where, "<" if header[126:128] == b"IM" else ">")
            pos = _HEADER
            while pos < total:
                f.seek(pos)
                kind, size, _, _ = tags.tag(f.read(8), 0)
                end = pos + 8 + size  # where scipy looks for the next variable
                if kind not in (_MATRIX, _COMPRESSED):
                    raise tags.fail(f"a top-level element has type {kind}, not a matrix")
                if pos + 8 + size > total:
                    raise tags.fail(f"a variable of {size} bytes runs past the end of the file")
                if kind == _MATRIX:
                    tags.matrix(f.read(min(size, _PEEK)), size)
                else:
                    try:
                        head = _compressed_head(f, size)
                    except DataError as exc:
                        raise tags.fail(str(exc)) from None
                    inner_kind, inner_size, at, _ = tags.tag(head, 0)
                    if inner_kind != _MATRIX:
                        raise tags.fail(f"a compressed variable holds type {inner_kind}, not a matrix")
                    tags.matrix(head[at:], inner_size)
                pos = end
    except OSError as exc:
        raise DataError(f"cannot read {where!r}: {exc.strerror or exc}") from None
