"""Alembic environment: migrations run on the connection that backstride hands over."""

from alembic import context

from backstride.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - backstride always passes a connection
    raise RuntimeError("backstride runs migrations through backstride.store.engine.migrate")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
