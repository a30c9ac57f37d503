"""The web app: FastAPI routes for pages and ``/api``, Jinja2 templates, static files (HTMX, chart JS).

Nothing happens at import time: :func:`backstride.web.app.create_app` builds an app for a
:class:`backstride.config.Settings`. Routes only translate HTTP to library calls.
"""
