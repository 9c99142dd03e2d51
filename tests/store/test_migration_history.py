"""Alembic history: one line from ``0001``; release 0.1's branched databases upgrade safely."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from smsrelay.store import (
    Database,
    SqlAccountStore,
    SqlDeliveryQueue,
    SqlMessageStore,
    alembic_config,
    migrate,
)
from smsrelay.store.database import _MIGRATIONS
from smsrelay.store.migration_history import BRANCHED_REVISIONS, LegacyHistoryError

from .conftest import Kit
from .test_database import _schema_diff


def _release_01_migrations(target: Path, revisions: tuple[str, ...]) -> Path:
    """The migrations as release 0.1 shipped them: each of ``revisions`` revising ``0001``."""
    shutil.copytree(_MIGRATIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (target / "versions").glob("*.py"):
        revision = path.name.split("_", 1)[0]
        if revision == "0001":
            continue
        if revision not in revisions:
            path.unlink()
            continue
        source = path.read_text()
        path.write_text(
            re.sub(
                r'^down_revision: str \| None = "\d+"$',
                'down_revision: str | None = "0001"',
                source,
                flags=re.M,
            )
        )
    return target


async def _release_01_database(url: str, scripts: Path) -> None:
    """Migrate ``url`` the way release 0.1 did: upgrade to every branch head."""

    def upgrade(conn: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(scripts))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")

    db = await Database.open(url)
    try:
        async with db.write() as conn:
            await conn.run_sync(upgrade)
    finally:
        await db.close()


async def _versions(db: Database) -> set[str]:
    async with db.read() as conn:
        return set(await conn.scalars(text("SELECT version_num FROM alembic_version")))


def test_the_history_is_one_line() -> None:
    """Every revision has at most one child and there is one head (upgrade to ``head``)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert 1 == len(scripts.get_heads())
    chain = [s.revision for s in scripts.walk_revisions()][::-1]
    assert ["0001", *BRANCHED_REVISIONS] == chain[: 1 + len(BRANCHED_REVISIONS)]
    assert len(chain) == len(set(chain))
    for script in scripts.walk_revisions():
        assert not script.is_branch_point, script.revision
        assert not script.is_merge_point, script.revision


async def test_an_empty_database_migrates_to_the_single_head(database_url: str) -> None:
    """From nothing to ``head``: one version row and exactly the declared schema."""
    await migrate(database_url)
    db = await Database.open(database_url)
    try:
        assert set(ScriptDirectory.from_config(alembic_config()).get_heads()) == await _versions(db)
        async with db.read() as conn:
            assert [] == await conn.run_sync(_schema_diff)
    finally:
        await db.close()


@pytest.mark.parametrize(
    "applied",
    [BRANCHED_REVISIONS, ("0020", "0022", "0026"), ("0021", "0025")],
    ids=["release-0.1", "some-branches", "two-branches"],
)
async def test_a_release_01_database_upgrades_and_keeps_its_data(
    database_url: str, tmp_path: Path, applied: tuple[str, ...]
) -> None:
    """A database with release 0.1's several branch heads (and data in it) is collapsed to the
    linear history, the revisions it lacked are run, and every row survives."""
    scripts = _release_01_migrations(tmp_path / "release-0.1", applied)
    await _release_01_database(database_url, scripts)
    db = await Database.open(database_url)
    try:
        assert set(applied) == await _versions(db)  # release 0.1: one row per branch head
        Kit(db, SqlAccountStore(db), SqlMessageStore(db), SqlDeliveryQueue(db))
        if "0026" in applied:
            async with db.write() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO routing_connectors (name, host, port, system_id, password,"
                        " bind, \"window\", concat, encoding) VALUES ('carrier', 'smsc', 2775,"
                        " 'sys', 'pw', 'transceiver', 10, 'udh', 'gsm7')"
                    )
                )
        # written as release 0.1 wrote it (today's store code expects today's tables): an
        # account charged 1.00 for one message
        at = "'2026-11-20 10:00:00.000000'"
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO accounts (login, password_hash, token, balance_micros, created_at)"
                    f" VALUES ('alice', 'x', 'tok-alice', 11500000, {at})"
                )
            )
            account_id = await conn.scalar(text("SELECT id FROM accounts WHERE login='alice'"))
            await conn.execute(
                text(
                    "INSERT INTO messages (account_id, phone, sender, text, channel, kind, parts,"
                    " price_micros, status, created_at, due_at, valid_until) VALUES"
                    f" ({account_id}, '79001234567', 'Shop', 'hello', 'sms', 'sms', 1, 1000000,"
                    f" 'queued', {at}, {at}, {at})"
                )
            )
            id_sms = await conn.scalar(text("SELECT max(id) FROM messages"))
    finally:
        await db.close()

    await migrate(database_url)
    await migrate(database_url)  # and again: a no-op

    db = await Database.open(database_url)
    try:
        assert set(ScriptDirectory.from_config(alembic_config()).get_heads()) == await _versions(db)
        async with db.read() as conn:
            assert [] == await conn.run_sync(_schema_diff)
            balance = await conn.scalar(
                text("SELECT balance_micros FROM accounts WHERE login='alice'")
            )
            phone = await conn.scalar(text(f"SELECT phone FROM messages WHERE id = {id_sms}"))
            connectors = await conn.scalar(text("SELECT count(*) FROM routing_connectors"))
    finally:
        await db.close()
    assert (12_500_000 - 1_000_000, "79001234567") == (balance, phone)
    assert (1 if "0026" in applied else 0) == connectors


async def test_unknown_extra_heads_are_refused(tmp_path: Path) -> None:
    """Several version rows that no release had on a branch: refused, nothing changed."""
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    await migrate(url)
    db = await Database.open(url)
    try:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
        with pytest.raises(LegacyHistoryError, match="9999"):
            await db.migrate()
        assert 2 == len(await _versions(db))
    finally:
        await db.close()
