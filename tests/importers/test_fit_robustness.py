"""Damaged FIT files: truncated or corrupted anywhere, the reader keeps what it can or raises BadFileError."""

from __future__ import annotations

import numpy as np
import pytest

from backstride.errors import BadFileError
from backstride.importers.fit import read_fit
from backstride.importers.fit.writer import write_fit
from tests.importers.test_fit_writer import generated_activity


@pytest.mark.parametrize("compressed", [False, True])
def test_truncation_anywhere_keeps_records_or_raises_bad_file(compressed: bool) -> None:
    original = generated_activity(seed=21, n=300)
    data = write_fit(original, compressed_timestamps=compressed, developer_field=True)
    rng = np.random.default_rng(2024)
    cuts = sorted(
        {int(c) for c in rng.integers(0, len(data), 150)} | {0, 1, 11, 12, 13, 14, 15, len(data) - 1}
    )
    previous = 0
    for cut in cuts:
        try:
            activities = read_fit(data[:cut], "cut.fit")
        except BadFileError:
            continue
        samples = sum(a.samples for a in activities)
        assert samples >= previous  # more bytes never give fewer records
        previous = samples
        if cut < len(data) - 2:
            assert any("file breaks at byte" in w for w in activities[0].warnings)
        np.testing.assert_array_equal(activities[0].streams["t"], original.streams["t"][:samples])


def test_random_corruption_never_raises_anything_else() -> None:
    original = generated_activity(seed=22, n=200)
    data = write_fit(original, compressed_timestamps=True, developer_field=True)
    rng = np.random.default_rng(7)
    for _ in range(200):
        damaged = bytearray(data)
        for position in rng.integers(0, len(data), rng.integers(1, 6)):
            damaged[int(position)] = int(rng.integers(0, 256))
        try:
            activities = read_fit(bytes(damaged), "damaged.fit")
        except BadFileError:
            continue
        assert activities
        for activity in activities:
            assert all(len(v) == activity.samples for v in activity.streams.values())
