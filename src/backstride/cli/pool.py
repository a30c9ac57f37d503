"""``backstride pool export|import|report``: anonymised, opt-in pooled evidence across runners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, handle_errors, print_json
from backstride.pool.export import ProfileInput, export_bundle
from backstride.pool.report import report_for
from backstride.pool.store import Pool
from backstride.words import plural

pool_app = typer.Typer(
    help="Pooled, anonymised evidence: export your bundle, import bundles, report across runners.",
    no_args_is_help=True,
)

PoolOpt = Annotated[
    Path | None, typer.Option("--pool", help="Pool folder (default: BACKSTRIDE_POOL, else <data dir>/pool).")
]


def _pool_dir(ctx: typer.Context, pool: Path | None) -> Path:
    """``--pool``, else the settings' pool folder (``BACKSTRIDE_POOL``, else ``<data dir>/pool``)."""
    return pool if pool is not None else state(ctx).settings.pool_dir


@pool_app.command("export")
@handle_errors
def export_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Bundle file to write (JSON).")],
    age_band: Annotated[
        str, typer.Option(help="<20, 20-29, 30-39, 40-49, 50-59, 60+ or unknown.")
    ] = "unknown",
    sex: Annotated[str, typer.Option(help="female, male, other or unknown.")] = "unknown",
    years_running: Annotated[str, typer.Option(help="<1, 1-3, 3-10, 10+ or unknown.")] = "unknown",
    height_cm: Annotated[
        float | None, typer.Option(help="Height in cm, for the BMI band only (never written).")
    ] = None,
    lifting_style: Annotated[
        str | None,
        typer.Option(help="none, westside, powerlifting, bodybuilding or general (default: from your log)."),
    ] = None,
) -> None:
    """Write your anonymised bundle: profile bands, runs (week, distance, onset), remedies, experiments."""
    st = state(ctx)
    profile = ProfileInput(age_band, sex, years_running, height_cm, lifting_style)
    bundle = export_bundle(st.engine, st.user_id, file, profile)
    err_console.print(
        f"wrote {file}: {plural(bundle.n_runs, 'run')}, "
        f"{plural(len(bundle.remedies), 'remedy', 'remedies')}, "
        f"{plural(len(bundle.experiments), 'experiment')} (contributor {bundle.contributor_id[:8]}..., "
        f"revision {bundle.revision}). Open it to see exactly what is shared."
    )


@pool_app.command("import")
@handle_errors
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Bundle files.")],
    pool: PoolOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Add bundles to the pool (a bundle already there changes nothing)."""
    target = _pool_dir(ctx, pool)
    results = Pool(target).import_files(files)
    if as_json:
        print_json({"pool": str(target), "files": [{"file": f, "added": a} for f, a in results]})
        return
    for f, added in results:
        console.print(f"{'added' if added else 'already in the pool'}: {f}")


def _print_report(data: dict[str, Any], unit: str) -> None:
    from backstride.units import distance_in

    def dist(metres: float | None) -> str:
        return "?" if metres is None else f"{distance_in(metres, unit):.2f}"

    console.print(f"runners in the pool: {data['runners']}")
    console.print(
        f"\n[bold]pain-free distance by group[/] (median in {unit} with its 95% CI from the runners; "
        "then the median with each runner counted once)",
        soft_wrap=True,
    )
    for g in data["groups"]:
        name = f"{g['field']}={g['value']}"
        if g["suppressed"]:
            console.print(f"  {name:32} {g['runners']:>6} runners  (suppressed: fewer than 10 runners)")
            continue
        lo, hi = g["median_ci_m"]
        each = g["runner_weighted"]["median_m"]
        console.print(
            f"  {name:32} {g['runners']:>6} runners  {dist(g['median_m'])} ({dist(lo)}-{dist(hi)}); "
            f"each runner once {dist(each)}",
            soft_wrap=True,
        )
    console.print("\n[bold]remedies[/] (ratio of pain-free distance, random-effects meta-analysis)")
    for r in data["remedies"]:
        if r["suppressed"]:
            console.print(f"  {r['remedy']:30} {r['runners']:>6} runners  (suppressed)")
            continue
        lo, hi = r["effect_ci"]
        pred = r["prediction_new_runner"]
        ptxt = "" if pred is None else f"; a new runner: {pred[0]:.2f}-{pred[1]:.2f}"
        console.print(
            f"  {r['remedy']:30} {r['runners']:>6} runners  {r['effect']:.2f} ({lo:.2f}-{hi:.2f}), "
            f"tau {r['tau']:.2f}{ptxt}"
        )


@pool_app.command("report")
@handle_errors
def report_command(
    ctx: typer.Context,
    pool: PoolOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Pooled figures: pain-free distance by profile group and remedies across runners."""
    data = report_for(_pool_dir(ctx, pool))
    if as_json:
        print_json(data)
    else:
        _print_report(data, state(ctx).units)


def register(app: typer.Typer) -> None:
    app.add_typer(pool_app, name="pool")
