"""Storage on SQLite or PostgreSQL (SQLAlchemy Core, async): the ``services.ports`` adapters.

SQLAlchemy and Alembic are imported only inside this package.
"""

from .accounts import PriceCache, SqlAccountStore
from .database import Database, DatabaseUnavailable, alembic_config, migrate, migrate_sync
from .messages import DEFAULT_VALIDITY, SqlMessageStore
from .queue import SqlDeliveryQueue

__all__ = [
    "DEFAULT_VALIDITY",
    "Database",
    "DatabaseUnavailable",
    "PriceCache",
    "SqlAccountStore",
    "SqlDeliveryQueue",
    "SqlMessageStore",
    "alembic_config",
    "migrate",
    "migrate_sync",
]
