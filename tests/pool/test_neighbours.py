""" "Runners like me" on a pool whose answer is known, and the report's section."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backstride.pool.neighbours import runners_like_me
from backstride.pool.queries import open_pool
from backstride.pool.store import Pool
from backstride.report.runners_like_you import runners_like_you_html
from tests.pool.helpers import experiment, make_bundle


def _pool(tmp_path: Path) -> Path:
    """15 descent-sensitive runners (pain early on hilly runs) for whom remedy A worked, and 15
    runners with pain late and regardless of terrain for whom remedy B worked."""
    rng = np.random.default_rng(8)
    pool = Pool(tmp_path / "pool")
    for _ in range(15):
        pool.add(
            make_bundle(
                rng,
                onset_m=1500,
                descent_pain=0.9,
                flat_pain=0.1,
                experiments=[experiment("downhill_technique", 0.4)],
            )
        )
    for _ in range(15):
        pool.add(
            make_bundle(
                rng,
                onset_m=4500,
                descent_pain=0.5,
                flat_pain=0.5,
                experiments=[experiment("foam_rolling", 0.3)],
            )
        )
    return pool.root


def test_nearest_runners_share_the_pattern_and_their_remedy(tmp_path: Path) -> None:
    root = _pool(tmp_path)
    me = make_bundle(np.random.default_rng(9), onset_m=1500, descent_pain=0.9, flat_pain=0.1)
    like = runners_like_me(open_pool(root), me, k=15)
    assert like.neighbours == 15
    assert like.pattern["descent"] is not None and like.pattern["descent"] > 0.5
    assert [r["remedy"] for r in like.remedies] == ["downhill_technique"]
    top = like.remedies[0]
    assert top["runners"] == 15 and top["benefit"] == 15 and not top["suppressed"]
    assert abs(top["mean_effect"] - np.exp(0.4)) < 1e-9


def test_a_remedy_tried_by_few_neighbours_is_suppressed(tmp_path: Path) -> None:
    root = _pool(tmp_path)
    me = make_bundle(np.random.default_rng(10), onset_m=1500, descent_pain=0.9, flat_pain=0.1)
    like = runners_like_me(open_pool(root), me, k=20)
    by = {r["remedy"]: r for r in like.remedies}
    assert by["downhill_technique"]["runners"] == 15
    assert by["foam_rolling"] == {"remedy": "foam_rolling", "runners": 5, "suppressed": True}


def test_html_section(tmp_path: Path) -> None:
    root = _pool(tmp_path)
    me = make_bundle(np.random.default_rng(11), onset_m=1500, descent_pain=0.9, flat_pain=0.1)
    html = runners_like_you_html(root, me, k=15)
    assert html.startswith("<section") and "Runners like you" in html and "downhill technique" in html
    assert "15 of 15" in html
    assert runners_like_you_html(tmp_path / "missing", me) == ""
