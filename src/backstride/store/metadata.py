"""The one :class:`sqlalchemy.MetaData` every table registers on, with the constraint naming convention.

The tables of each concept (:mod:`backstride.store.schema` and its ``*_schema`` modules) import it
from here; :mod:`backstride.store.schema` imports them all and re-exports ``metadata``, so use
``backstride.store.schema.metadata`` when every table must be registered (migrations, exports).
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

__all__ = ["NAMING", "metadata"]
