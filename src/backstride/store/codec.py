"""Streams as one columnar blob per activity, so one run's samples load in well under a millisecond
per thousand records.

Layout (codec 1): for each column, in the order listed in the ``columns`` text, a little-endian array
of ``n`` values, zlib-compressed as a whole. Positions and time keep float64; the rest float32, which
holds every value a device records exactly enough (HR, cadence, speed, altitude to the millimetre).
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CODEC = 1
_FLOAT64 = {"t", "distance", "lat", "lon"}


def encode_streams(streams: dict[str, np.ndarray]) -> tuple[int, str, bytes]:
    import numpy as np  # loaded with the first stream, not with the store

    names = sorted(streams)
    lengths = {len(streams[name]) for name in names}
    if len(lengths) > 1:
        raise ValueError(f"stream columns differ in length: {lengths}")
    n = lengths.pop() if lengths else 0
    parts = []
    for name in names:
        dtype = "<f8" if name in _FLOAT64 else "<f4"
        parts.append(np.ascontiguousarray(streams[name], dtype=dtype).tobytes())
    header = json.dumps({"n": n, "columns": names})
    return CODEC, header, zlib.compress(b"".join(parts), 1)


def decode_streams(codec: int, header: str, data: bytes) -> dict[str, np.ndarray]:
    import numpy as np

    if codec != CODEC:
        raise ValueError(f"unknown stream codec {codec}")
    meta = json.loads(header)
    n = int(meta["n"])
    raw = zlib.decompress(data)
    out: dict[str, np.ndarray] = {}
    offset = 0
    for name in meta["columns"]:
        dtype = np.dtype("<f8" if name in _FLOAT64 else "<f4")
        size = n * dtype.itemsize
        out[name] = np.frombuffer(raw, dtype=dtype, count=n, offset=offset).astype(np.float64)
        offset += size
    return out
