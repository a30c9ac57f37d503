"""``backstride serve [--host H] [--port P] [--multi-user] [--allowed-hosts NAMES]
[--forwarded-allow-ips ADDRS]``: the web app on uvicorn (the choices: :mod:`backstride.web.serving`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from backstride.cli.context import console, handle_errors, state
from backstride.errors import ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from backstride.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @handle_errors
    def serve_command(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
        multi_user: Annotated[
            bool, typer.Option("--multi-user", help="Accounts with login, for a server shared by runners.")
        ] = False,
        insecure_cookies: Annotated[
            bool,
            typer.Option(
                "--insecure-cookies",
                help="Multi-user over plain HTTP (testing only): cookies without Secure.",
            ),
        ] = False,
        allowed_hosts: Annotated[
            str | None,
            typer.Option(
                "--allowed-hosts",
                help="Host names the server answers to, comma-separated ('*': any). Default: loopback names.",
            ),
        ] = None,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(
                "--forwarded-allow-ips",
                help="Addresses of the reverse proxy whose X-Forwarded-For/-Proto are believed "
                "(comma-separated). Default: none, the headers are ignored.",
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                help="Worker processes (each with its own connections and page cache); about one per core.",
                min=1,
                max=64,
            ),
        ] = 1,
    ) -> None:
        """Serve the web pages and the JSON API (local mode: you only, on this machine, no login)."""
        import uvicorn

        from backstride.web.app import create_app
        from backstride.web.serving import allowed_hosts as hosts_for
        from backstride.web.serving import uvicorn_options

        if not multi_user and host not in LOOPBACK:
            raise ValidationError(
                f"local mode has no login, so it serves only this machine (127.0.0.1), not {host!r}: "
                "use --multi-user to serve others"
            )
        hosts = hosts_for(host, allowed_hosts, multi_user)
        proxy = uvicorn_options(forwarded_allow_ips)
        st = state(ctx)
        mode = "multi-user" if multi_user else "local, no login"
        if workers > 1:
            _serve_workers(
                st.settings, host, port, workers, multi_user, insecure_cookies, st.engine, hosts, proxy
            )
            return
        web = create_app(
            st.settings,
            multi_user=multi_user,
            secure_cookies=False if insecure_cookies else None,
            engine=st.engine,
            allowed_hosts=hosts,
        )
        console.print(f"backstride on http://{host}:{port} ({mode}); Ctrl+C stops it")
        uvicorn.run(web, host=host, port=port, log_level="warning", **proxy)


def _serve_workers(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    multi_user: bool,
    insecure_cookies: bool,
    engine: Engine,
    hosts: list[str],
    proxy: dict[str, Any],
) -> None:
    """Serve with ``workers`` uvicorn processes, each building the app from the environment
    (:func:`backstride.web.app.app_from_env`). The store is migrated and the app secret made here,
    once, before the workers start."""
    import os

    import uvicorn

    from backstride.config import ENV_DB, ENV_HOME, ENV_UNITS
    from backstride.web.app import ENV_ALLOWED_HOSTS, ENV_INSECURE_COOKIES, ENV_MULTI_USER
    from backstride.web.context import load_secret

    load_secret(settings)
    engine.dispose()
    os.environ[ENV_DB] = settings.db_url
    os.environ[ENV_HOME] = str(settings.data_dir)
    if settings.units:
        os.environ[ENV_UNITS] = settings.units
    os.environ[ENV_MULTI_USER] = "1" if multi_user else "0"
    os.environ[ENV_INSECURE_COOKIES] = "1" if insecure_cookies else "0"
    os.environ[ENV_ALLOWED_HOSTS] = ",".join(hosts)
    mode = "multi-user" if multi_user else "local, no login"
    console.print(f"backstride on http://{host}:{port} ({mode}, {workers} workers); Ctrl+C stops it")
    uvicorn.run(
        "backstride.web.app:app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        **proxy,
    )
