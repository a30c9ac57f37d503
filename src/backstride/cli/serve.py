"""``backstride serve [--host H] [--port P] [--multi-user]``: the web app on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from backstride.cli.context import console, handle_errors, state
from backstride.errors import ValidationError

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
    ) -> None:
        """Serve the web pages and the JSON API (local mode: you only, on this machine, no login)."""
        import uvicorn

        from backstride.web.app import create_app

        if not multi_user and host not in LOOPBACK:
            raise ValidationError(
                f"local mode has no login, so it serves only this machine (127.0.0.1), not {host!r}: "
                "use --multi-user to serve others"
            )
        st = state(ctx)
        web = create_app(
            st.settings,
            multi_user=multi_user,
            secure_cookies=False if insecure_cookies else None,
            engine=st.engine,
        )
        mode = "multi-user" if multi_user else "local, no login"
        console.print(f"backstride on http://{host}:{port} ({mode}); Ctrl+C stops it")
        uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=multi_user)
