"""How ``backstride serve`` runs the app on uvicorn: the host names it answers to and whose
``X-Forwarded-*`` headers it believes. Kept here (not in the CLI) so the choices are tested.

- Forwarded headers are ignored unless the addresses of the reverse proxy are given
  (``--forwarded-allow-ips``): otherwise any client could claim any address in ``X-Forwarded-For``
  and step around the login throttle, which counts per address.
- Host names: ``--allowed-hosts`` (comma-separated, ``*`` for any); by default the loopback names,
  so a server reached under another name must be told that name.
- The log: what backstride records (a file of an upload that could not be read, with its cause) goes
  through uvicorn's own logging, beside its errors: warnings by default, everything with ``--verbose``
  (:func:`log_config`).
"""

from __future__ import annotations

import copy
from typing import Any

from backstride.errors import ValidationError
from backstride.web.app import LOOPBACK_HOSTS

LOOPBACK_BIND = ("127.0.0.1", "localhost", "::1")


def split_list(text: str | None) -> list[str]:
    """``"a.example, b.example"`` -> ``["a.example", "b.example"]`` (empty for ``None``)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def allowed_hosts(host: str, given: str | None, multi_user: bool) -> list[str]:
    """The Host header values to accept. Multi-user mode on a non-loopback address must name them:
    a server reachable by others answers only to the names it is meant to be reached under."""
    names = split_list(given)
    if names:
        return names
    if multi_user and host not in LOOPBACK_BIND:
        raise ValidationError(
            f"--allowed-hosts: name the host names clients use to reach this server (listening on "
            f"{host}), e.g. --allowed-hosts backstride.example.org; '*' accepts any"
        )
    return list(LOOPBACK_HOSTS)


def uvicorn_options(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` about forwarded headers: trusted only
    from the proxy addresses given, and not at all by default."""
    proxies = split_list(forwarded_allow_ips)
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(proxies)}


def log_config(verbose: bool) -> dict[str, Any]:
    """uvicorn's logging configuration with backstride's loggers added on uvicorn's ``default`` handler
    (stderr, uvicorn's format): warnings and errors, or every record with ``verbose``. Given to
    ``uvicorn.run``/``uvicorn.Config`` as ``log_config``; each worker process applies it too."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["backstride"] = {
        "handlers": ["default"],
        "level": "DEBUG" if verbose else "WARNING",
        "propagate": False,
    }
    return config


def log_level(verbose: bool) -> str:
    """uvicorn's own level: its errors, or with ``verbose`` also each request."""
    return "info" if verbose else "warning"
