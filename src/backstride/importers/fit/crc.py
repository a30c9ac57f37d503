"""The FIT CRC (CRC-16/ARC: reflected polynomial 0xA001, initial value 0), vectorised with numpy.

A byte-at-a-time loop in Python costs about a second on a 3 MB file. The CRC is linear over GF(2) and,
with an initial value of 0, leading zero bytes do not change it; so the data is front-padded with zeros
to ``chunks x length``, every chunk's CRC is computed in parallel (one numpy step per byte column), and
the chunk CRCs are combined with a "shift by ``length`` zero bytes" map applied through two 256-entry
tables.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_POLY = 0xA001


def _byte_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table[i] = crc
    return table


TABLE = _byte_table()
_TABLE_LIST = [int(v) for v in TABLE]


def crc16_small(data: bytes | memoryview, crc: int = 0) -> int:
    """The FIT CRC of a short buffer (plain loop; use :func:`crc16` for long data)."""
    table = _TABLE_LIST
    for byte in bytes(data):
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@cache
def _shift_tables(length: int) -> tuple[list[int], list[int]]:
    """Tables for the linear map "append ``length`` zero bytes", split by low and high input byte."""
    crc = np.concatenate([np.arange(256), np.arange(256) << 8]).astype(np.uint16)
    for _ in range(length):
        crc = (crc >> 8) ^ TABLE[crc & 0xFF]
    values = crc.tolist()
    return values[:256], values[256:]


def crc16(data: bytes | memoryview | np.ndarray, start: int = 0, end: int | None = None) -> int:
    """The FIT CRC of ``data[start:end]``."""
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    buf = buf[start:end]
    n = len(buf)
    if n < 2048:
        return crc16_small(buf.tobytes())
    # Chunk length: a power of two near sqrt(n)/16 balances numpy steps against the combine loop.
    length = int(min(128, max(16, 2 ** round(np.log2(np.sqrt(n) / 16)))))
    chunks = -(-n // length)
    padded = np.zeros(chunks * length, dtype=np.uint8)
    padded[chunks * length - n :] = buf
    columns = np.ascontiguousarray(padded.reshape(chunks, length).T)
    crc = np.zeros(chunks, dtype=np.uint16)
    index = np.empty(chunks, dtype=np.uint16)
    table = TABLE
    for column in columns:
        np.bitwise_xor(crc, column, out=index)
        index &= 0xFF
        crc >>= 8
        crc ^= table[index]
    low, high = _shift_tables(length)
    total = 0
    for value in crc.tolist():
        total = low[total & 0xFF] ^ high[total >> 8] ^ value
    return total
