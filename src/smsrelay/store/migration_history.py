"""Alembic history: from the branched layout of release 0.1 to one linear chain.

Release 0.1 had seven feature revisions (``0020`` … ``0026``) that each revised ``0001``
directly, and upgraded to ``heads``: a database it migrated holds one ``alembic_version`` row per
branch head. Since then the history is one line, ``0001 → 0020 → 0021 → … → 0026 → …``, and the
schema is upgraded to ``head``.

:func:`collapse_branch_heads` rewrites such a database's version rows to the linear equivalent
before the upgrade, inside the migrating transaction. The feature revisions were independent of
each other (each only needed ``0001``), so any subset of them that was applied can be walked
along the new chain: a revision already applied is stamped, one missing is run, in chain order.
A database migrated by this release has a single row and is left alone.
"""

from __future__ import annotations

from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text

__all__ = ["BRANCHED_REVISIONS", "LegacyHistoryError", "collapse_branch_heads"]

# the revisions that each revised "0001" in release 0.1, in their linear order today
BRANCHED_REVISIONS: Final = ("0020", "0021", "0022", "0023", "0024", "0025", "0026")
_ROOT: Final = "0001"


class LegacyHistoryError(RuntimeError):
    """The version rows are neither the linear history nor the branched one of release 0.1."""


def applied_versions(conn: Connection) -> set[str]:
    """The rows of ``alembic_version`` (empty when the table does not exist yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def collapse_branch_heads(conn: Connection, cfg: Config) -> bool:
    """Turn release 0.1's several branch heads into one linear version; True when it did.

    ``cfg`` carries ``conn`` (``attributes["connection"]``) for the revisions that must run.
    """
    rows = applied_versions(conn)
    if len(rows) <= 1:
        return False
    unknown = rows - set(BRANCHED_REVISIONS) - {_ROOT}
    if unknown:
        raise LegacyHistoryError(
            f"alembic_version holds several heads {sorted(rows)}, among them "
            f"{sorted(unknown)} that no release had on a branch: refusing to migrate"
        )
    _set_version(conn, _ROOT)
    for revision in BRANCHED_REVISIONS:
        if revision in rows:
            _set_version(conn, revision)  # applied on its branch: only the row moves on
        else:
            command.upgrade(cfg, revision)  # not applied yet: run it in its place in the chain
    return True


def _set_version(conn: Connection, revision: str) -> None:
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
