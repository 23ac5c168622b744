"""Sortable identifiers (UUIDv7, RFC 9562) and random secrets."""

import os
import secrets
import threading
import time

_lock = threading.Lock()
_last = 0
_RANDOM_CHUNK = 8192
_random = b""
_offset = _RANDOM_CHUNK


def _random_bits() -> int:
    """80 random bits; read from the OS in chunks (a syscall per id was most of an id's cost)."""
    global _random, _offset
    if _offset + 10 > len(_random):
        _random, _offset = os.urandom(_RANDOM_CHUNK), 0
    _offset += 10
    return int.from_bytes(_random[_offset - 10 : _offset], "big")


def new_id() -> str:
    """A UUIDv7 string: 48-bit millisecond timestamp, then random bits; sorts by creation time.

    Monotonic within a process (RFC 9562, 6.2 method 2): an id made in the same millisecond as the one
    before is that one plus one, so the ids of one batch (outbox rows, page views) keep their order.
    """
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        rand = _random_bits()
        value = (millis & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76  # version
        value |= ((rand >> 62) & 0xFFF) << 64  # rand_a
        value |= 0b10 << 62  # variant
        value |= rand & ((1 << 62) - 1)  # rand_b
        if value >> 80 == _last >> 80 and value <= _last:
            value = _last + 1
            # Carrying out of rand_b would break the variant bits: take the next value with a fresh rand_b.
            if (value >> 62) & 0b11 != 0b10:
                value = ((_last >> 64) + 1) << 64 | 0b10 << 62
        _last = value
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def new_ids(count: int) -> list[str]:
    """`count` UUIDv7 strings at once, in increasing order and after every id made before in the process: the
    first as `new_id` makes it, each next one the one before plus one (the counter `new_id` uses within a
    millisecond, RFC 9562, 6.2 method 2). A fraction of the cost of `count` calls of `new_id`."""
    global _last
    if count <= 0:
        return []
    millis = time.time_ns() // 1_000_000
    with _lock:
        rand = _random_bits() & ~(1 << 61)  # rand_b's top bit clear: room for 2**61 more in this block
        value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64 | 0b10 << 62
        value |= rand & ((1 << 62) - 1)
        if value >> 80 == _last >> 80 and value <= _last:
            value = _last + 1
        if (value & ((1 << 62) - 1)) + count >= 1 << 62 or (value >> 62) & 0b11 != 0b10:
            value = ((value >> 64) + 1) << 64 | 0b10 << 62  # no room left in rand_b: the next rand_a, rand_b 0
        _last = value + count - 1
    high = f"{value >> 64:016x}"
    prefix = f"{high[:8]}-{high[8:12]}-{high[12:]}-"
    low = value & ((1 << 64) - 1)
    return [f"{prefix}{(h := f'{n:016x}')[:4]}-{h[4:]}" for n in range(low, low + count)]
