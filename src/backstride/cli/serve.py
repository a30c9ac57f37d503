"""``backstride serve [--host H] [--port P] [--multi-user] [--allowed-hosts NAMES]
[--forwarded-allow-ips ADDRS] [--workers N]``: the web app on uvicorn (the choices:
:mod:`backstride.web.serving`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, handle_errors
from backstride.errors import BackstrideError, ValidationError

if TYPE_CHECKING:
    import socket

    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from backstride.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: A worker that stops within this many seconds of starting stops the server (no restart loop).
START_GRACE_S = 10.0


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
        from backstride.web.serving import log_config, log_level, uvicorn_options

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
        verbose = st.settings.verbose
        uvicorn.run(
            web, host=host, port=port, log_level=log_level(verbose), log_config=log_config(verbose), **proxy
        )


def worker_app(
    settings: Settings, multi_user: bool, insecure_cookies: bool, allowed_hosts: list[str] | None = None
) -> FastAPI:
    """The app of one worker process, built from the settings handed to it (nothing read from the
    environment)."""
    from backstride.web.app import create_app

    return create_app(
        settings,
        multi_user=multi_user,
        secure_cookies=False if insecure_cookies else None,
        allowed_hosts=allowed_hosts,
    )


def worker_config(
    settings: Settings,
    host: str,
    port: int,
    multi_user: bool,
    insecure_cookies: bool,
    *,
    allowed_hosts: list[str] | None = None,
    proxy: dict[str, Any] | None = None,
) -> uvicorn.Config:
    """The uvicorn configuration every worker runs: the app factory carries the settings with it
    (pickled into each spawned worker), so the parent's environment is never touched. ``proxy``: the
    forwarded-header options (:func:`backstride.web.serving.uvicorn_options`); none trusted by default."""
    import uvicorn

    from backstride.web.serving import log_config, log_level, uvicorn_options

    factory = functools.partial(worker_app, settings, multi_user, insecure_cookies, allowed_hosts)
    options = proxy if proxy is not None else uvicorn_options(None)
    level = log_level(settings.verbose)
    config = uvicorn.Config(
        factory, factory=True, host=host, port=port, log_level=level, log_config=None, **options
    )
    config.log_config = log_config(settings.verbose)  # applied by each worker (_run_worker), not here
    return config


def _run_worker(config: uvicorn.Config, sock: socket.socket) -> None:
    import uvicorn

    config.configure_logging()  # a spawned worker starts with Python's bare logging
    uvicorn.Server(config).run(sockets=[sock])


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
    """Serve with ``workers`` processes sharing one listening socket. The store is migrated and the app
    secret made here, once, before the workers start; a worker that dies is replaced, one that dies
    within :data:`START_GRACE_S` of starting stops the server with its exit code."""
    import multiprocessing
    import signal
    import threading
    import time

    from backstride.web.csrf import load_secret

    load_secret(settings)
    engine.dispose()
    config = worker_config(
        settings, host, port, multi_user, insecure_cookies, allowed_hosts=hosts, proxy=proxy
    )
    sock = config.bind_socket()
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start() -> tuple[Any, float]:
        process = spawn.Process(target=_run_worker, args=(config, sock), daemon=True)
        process.start()
        return process, time.monotonic()

    mode = "multi-user" if multi_user else "local, no login"
    running = [start() for _ in range(workers)]
    console.print(f"backstride on http://{host}:{port} ({mode}, {workers} workers); Ctrl+C stops it")
    failed: str | None = None
    try:
        while failed is None and not stop.wait(0.5):
            for i, (process, since) in enumerate(running):
                if process.is_alive() or stop.is_set():
                    continue
                if time.monotonic() - since < START_GRACE_S:
                    failed = f"a web worker stopped as it started (exit code {process.exitcode})"
                    break
                err_console.print(f"web worker {process.pid} stopped (code {process.exitcode}); restarted")
                running[i] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process, _ in running:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise BackstrideError(failed)
