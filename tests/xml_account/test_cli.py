"""The operator commands of this feature as scripts use them: real processes, a real database."""

from __future__ import annotations

from pathlib import Path

from cli.test_cli import smsrelay
from smsrelay.bootstrap import open_stores
from smsrelay.clock import SystemClock
from smsrelay.config import Settings
from smsrelay.services.admin import AdminService


async def test_sender_moderation_and_timezone_commands(tmp_path: Path) -> None:
    """``sender approve/reject/list`` and ``account timezone`` print one line each and change
    the database; an unknown sender, a wild offset: one-line error, exit 1."""
    db = f"sqlite:///{tmp_path}/cli.db"
    stores = await open_stores(Settings(database_url=db))
    try:
        admin = AdminService(stores.accounts, SystemClock())
        await admin.create_account("shop", "pw")
        await admin.add_sender("shop", "MyShop", approve=False)
        await admin.add_sender("shop", "Other", approve=False)
    finally:
        await stores.close()
    approved = smsrelay("sender", "approve", "shop", "MyShop", cwd=tmp_path, db=db)
    assert "shop: sender 'MyShop' completed\n" == approved.stdout
    rejected = smsrelay(
        "sender", "reject", "shop", "Other", "--comment", "No docs", cwd=tmp_path, db=db
    )
    assert "shop: sender 'Other' rejected\n" == rejected.stdout
    listed = smsrelay("sender", "list", cwd=tmp_path, db=db)
    assert "shop\tMyShop\tcompleted\nshop\tOther\trejected\thistory='No docs'\n" == listed.stdout
    tz = smsrelay("account", "timezone", "shop", "4", cwd=tmp_path, db=db)
    assert "shop: +4 h from Moscow\n" == tz.stdout
    for args in (("sender", "approve", "shop", "Nope"), ("account", "timezone", "shop", "40")):
        proc = smsrelay(*args, cwd=tmp_path, db=db, check=False)
        assert 1 == proc.returncode, args
        assert 1 == len(proc.stderr.strip().splitlines()), proc.stderr
