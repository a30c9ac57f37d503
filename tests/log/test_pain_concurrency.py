"""Issue 11 item 15: two writers logging pain on the same run at once both succeed, on both stores."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from backstride.log.pain import get_pain, record_pain
from backstride.store import log_schema as ls
from tests.log.helpers import make_run, save_run

WRITERS = 6
ROUNDS = 8


def test_concurrent_pain_writes_on_one_run_all_succeed(engine: Engine) -> None:
    run_id = save_run(engine, make_run())
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        for r in range(ROUNDS):
            try:
                barrier.wait(timeout=30)
                with engine.begin() as conn:
                    at = 1000 + 100 * k + r
                    stage = f"cramp@{at + 50}m"
                    record_pain(conn, 1, run_id, onset=f"{at}m", severity=k, stages=[stage], notes=f"w{k}")
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    with engine.connect() as conn:
        reports = conn.execute(select(func.count()).select_from(ls.pain_reports)).scalar_one()
        stages = conn.execute(select(func.count()).select_from(ls.pain_stages)).scalar_one()
        report = get_pain(conn, 1, run_id)
    assert reports == 1 and stages == 1
    assert report is not None
    k = int(report["notes"][1:])  # the last writer's report, whole: its onset, severity and stage
    assert report["severity"] == k and report["onset_m"] is not None
    assert report["stages"][0]["distance_m"] == report["onset_m"] + 50
