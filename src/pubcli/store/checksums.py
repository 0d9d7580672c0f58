"""CRC-32 arithmetic: the checksum of a file after one change, from the checksum before
it and a hash of the shorter side of the change only.

``zlib.crc32`` is linear over GF(2): ``crc(A + B)`` is ``crc(A)`` multiplied by
``x**(8 * len(B))`` modulo CRC-32's polynomial, plus ``crc(B)`` (what zlib's own
``crc32_combine`` computes; Python's zlib does not offer it). So a write that replaces
the bytes ``O`` of ``P + O + S`` by ``N`` needs to hash only ``P`` or ``S``, whichever is
shorter, and ``O`` and ``N``: on average a quarter of the file instead of all of it.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from typing import Protocol

_POLYNOMIAL = 0xEDB88320
"""CRC-32's polynomial without its ``x**32`` term, in its reflected bit order (the
coefficient of ``x**0`` in the highest bit)."""
_ONE = 1 << 31
_X = 1 << 30
_X_INVERSE = ((_POLYNOMIAL & (_ONE - 1)) << 1) | 1
"""``x**-1``: ``x * (x**31 + (p(x) - x**32 - 1) / x) = p(x) - 1``, which is 1 modulo p."""


def _multiply(a: int, b: int) -> int:
    """``a(x) * b(x)`` modulo the polynomial."""
    product, bit = 0, _ONE
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLYNOMIAL if b & 1 else b >> 1
    return product


def _powers(base: int) -> list[int]:
    """``base ** (2 ** k)`` for k from 0 to 63."""
    powers = [base]
    for _ in range(63):
        powers.append(_multiply(powers[-1], powers[-1]))
    return powers


_X_POWERS = _powers(_X)
_X_INVERSE_POWERS = _powers(_X_INVERSE)


def shifted(crc: int, length: int) -> int:
    """The CRC-32 ``crc`` of some bytes, as it counts in the CRC-32 of those bytes
    followed by ``length`` more (a negative ``length``: with that many taken off their
    end): ``crc * x**(8 * length)`` modulo the polynomial."""
    powers = _X_POWERS if length >= 0 else _X_INVERSE_POWERS
    exponent = 8 * abs(length)
    factor, k = _ONE, 0
    while exponent:
        if exponent & 1:
            factor = _multiply(factor, powers[k])
        exponent >>= 1
        k += 1
    return _multiply(factor, crc)


class Hashed(Protocol):
    """Bytes whose parts are hashed: in memory (``InMemory``) or in a file (``InFile``)."""

    def __len__(self) -> int: ...

    def crc32(self, start: int, end: int, value: int = 0) -> int:
        """``zlib.crc32`` of bytes ``start`` to ``end``, continuing ``value``."""
        ...


class InMemory:
    """Bytes in memory, hashed in place."""

    def __init__(self, data: memoryview) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def crc32(self, start: int, end: int, value: int = 0) -> int:
        return zlib.crc32(self._data[start:end], value)


class InFile:
    """The first ``size`` bytes of an open file, read where asked (``os.pread``) and
    hashed a part at a time through one buffer: faster than a memory map (whose pages
    fault in one by one), and a file cut short meanwhile is an error (``ValueError``),
    never a SIGBUS that kills the process."""

    def __init__(self, descriptor: int, size: int, part: int = 1 << 20) -> None:
        self._descriptor = descriptor
        self._size = size
        self._part = max(1, part)
        self._buffer: memoryview | None = None  # made by the first hash

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, where: slice) -> bytes:
        start, end, _ = where.indices(self._size)
        count = max(end - start, 0)
        data = os.pread(self._descriptor, count, start)
        if len(data) != count:
            raise ValueError("the file is shorter than it was")
        return data

    def find(self, sub: bytes, start: int, end: int) -> int:
        """Where ``sub`` (not empty) first occurs in bytes ``start`` to ``end``, or -1:
        read a part at a time, each overlapping the next by all but a byte of ``sub``."""
        at = start
        while at < end:
            found = self[at : min(end, at + self._part + len(sub) - 1)].find(sub)
            if found >= 0:
                return at + found
            at += self._part
        return -1

    def crc32(self, start: int, end: int, value: int = 0) -> int:
        if not 0 <= start <= end <= self._size:
            raise ValueError("the bytes are not in the file")
        if self._buffer is None:
            self._buffer = memoryview(bytearray(max(1, min(self._size, self._part))))
        buffer = self._buffer
        while start < end:
            read = _read_into(self._descriptor, buffer[: end - start], start)
            if not read:
                raise ValueError("the file is shorter than it was")
            value = zlib.crc32(buffer[:read], value)
            start += read
        return value


def _read_into(descriptor: int, buffer: memoryview, offset: int) -> int:
    """``os.preadv`` into ``buffer``; where there is none (macOS before 11), ``os.pread``."""
    if hasattr(os, "preadv"):
        return os.preadv(descriptor, [buffer], offset)
    data = os.pread(descriptor, len(buffer), offset)
    buffer[: len(data)] = data
    return len(data)


def _hashed(data: Hashed | memoryview) -> Hashed:
    return InMemory(data) if isinstance(data, memoryview) else data


def crc32_replaced(
    old: Hashed | memoryview, start: int, end: int, new: bytes, old_crc: int
) -> int:
    """The CRC-32 of ``old`` (whose CRC-32 is ``old_crc``) once its bytes ``start`` to
    ``end`` are ``new``: hashing the bytes before ``start`` or those after it, whichever
    are fewer, and ``new``."""
    old = _hashed(old)
    if not 0 <= start <= end <= len(old):
        raise ValueError("the replaced bytes are not in the data")
    before, after = split_crcs(old, start, old_crc)
    return crc32_spliced(old, [(start, end, new)], start, before, after)


def split_crcs(data: Hashed | memoryview, at: int, whole: int) -> tuple[int, int]:
    """The CRC-32s of ``data[:at]`` and of ``data[at:]``, given that of ``data``
    (``whole``): hashing the shorter side only."""
    data = _hashed(data)
    size = len(data)
    if not 0 <= at <= size:
        raise ValueError("the split is not in the data")
    if at <= size - at:
        before = data.crc32(0, at)
        return before, whole ^ shifted(before, size - at)
    after = data.crc32(at, size)
    return shifted(whole ^ after, at - size), after


def crc32_spliced(
    data: Hashed | memoryview,
    replacements: Sequence[tuple[int, int, bytes]],
    at: int,
    before: int,
    after: int,
) -> int:
    """The CRC-32 of ``data`` once each ``(start, end, new)`` of ``replacements`` (in
    order, apart) has replaced its bytes ``start`` to ``end`` with ``new``, given the
    CRC-32s of ``data[:at]`` (``before``) and ``data[at:]`` (``after``): hashing only the
    bytes from the first change or ``at`` to the last change or ``at`` and the new ones."""
    data = _hashed(data)
    size = len(data)
    kept = 0
    for start, end, _ in replacements:
        if not kept <= start <= end <= size:
            raise ValueError("the replaced bytes are not in the data, in order")
        kept = end
    if not replacements:
        return shifted(before, size - at) ^ after
    first, last = replacements[0][0], replacements[-1][1]
    if first >= at:  # the CRC-32 of data[:first]
        crc = data.crc32(at, first, before)
    else:
        crc = shifted(before ^ data.crc32(first, at), first - at)
    kept = first
    for start, end, new in replacements:
        crc = zlib.crc32(new, data.crc32(kept, start, crc))
        kept = end
    if last >= at:  # the CRC-32 of data[last:] alone
        tail = after ^ shifted(data.crc32(at, last), size - last)
    else:
        tail = shifted(data.crc32(last, at), size - at) ^ after
    return shifted(crc, size - last) ^ tail


def crc32_changed(
    before: memoryview,
    after: memoryview,
    middle_crc: int,
    middle_length: int,
    new: bytes,
    old_crc: int,
) -> int:
    """The CRC-32 of ``before + new + after``, given that of ``before + middle + after``
    (``old_crc``) and of ``middle`` (``middle_crc``, ``middle_length`` bytes): hashing
    ``before`` or ``after``, whichever is shorter, and ``new``."""
    if len(before) <= len(after):
        before_crc = zlib.crc32(before)
        with_middle = shifted(before_crc, middle_length) ^ middle_crc
    else:
        # old_crc is that of (before + middle) shifted over ``after``, plus after's.
        with_middle = shifted(old_crc ^ zlib.crc32(after), -len(after))
        before_crc = shifted(with_middle ^ middle_crc, -middle_length)
    return old_crc ^ shifted(zlib.crc32(new, before_crc) ^ with_middle, len(after))
