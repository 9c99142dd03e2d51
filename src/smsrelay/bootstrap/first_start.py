"""What a first start creates: the demo account and the first console operator (``serve
--demo`` only; their credentials printed once and kept in 0600 files), and the key that signs
web cookies."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import Clock, SystemClock
from ..config import Settings, demo_account_path
from ..domain.messages import Channel
from ..domain.money import Money
from ..services.admin import AdminError, AdminService

if TYPE_CHECKING:
    from . import Stores

__all__ = ["DEMO_LOGIN", "ensure_demo_account", "ensure_first_operator", "web_access", "web_secret"]


DEMO_PRICES = (
    ("7", "1.00", "Russia"),
    ("380", "2.00", "Ukraine"),
    ("375", "2.00", "Belarus"),
    ("77", "1.50", "Kazakhstan"),
)


async def ensure_demo_account(
    settings: Settings, admin: AdminService, stores: Stores
) -> str | None:
    """``serve --demo``: a funded demo account and demo prices; returns the text to print.

    The credentials are printed once, when the account is created, and kept in a 0600 file of
    this database (:func:`config.demo_account_path`). Several processes starting together on a
    fresh database all get past this: the one whose insert wins creates it, the others say where
    its credentials are."""
    if not settings.demo:
        return None
    path = demo_account_path(settings.database_url, settings.data_dir)
    if await stores.accounts.find_by_login(DEMO_LOGIN) is not None:
        return f"demo account {DEMO_LOGIN!r}: credentials in {path}\n"
    if not (await stores.accounts.price_list()).entries:
        for prefix, price, area in DEMO_PRICES:  # upserts: a concurrent start writes the same
            await admin.set_price(prefix, Money.parse(price), area, Channel.SMS)
            await admin.set_price(prefix, Money.parse(price), area, Channel.VIBER)
    password = secrets.token_urlsafe(9)
    try:
        _account, token = await admin.create_account(
            DEMO_LOGIN, password, balance=Money.parse("1000"), any_sender=True
        )
    except AdminError:  # another process created it a moment ago (same login)
        if await stores.accounts.find_by_login(DEMO_LOGIN) is None:
            raise
        return f"demo account {DEMO_LOGIN!r}: created by another process, credentials in {path}\n"
    text = (
        "demo account (any sender allowed, balance 1000.00 RUR)\n"
        f"  login:    {DEMO_LOGIN}\n  password: {password}\n  token:    {token}\n"
    )
    _write_private(path, text)
    return text + f"  (kept in {path}, readable by this user only)\n"


DEMO_LOGIN = "demo"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte; atomic replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def web_access(stores: Stores, clock: Clock | None = None) -> Any:
    """The operators/sessions/audit service on ``stores`` (for the CLI)."""
    from ..services.web_access import WebAccessService
    from ..store.web_access import SqlWebAccessStore

    return WebAccessService(SqlWebAccessStore(stores.db), clock or SystemClock())


async def ensure_first_operator(settings: Settings, stores: Stores) -> str | None:
    """``serve --demo`` on first start (no operator yet): an ``admin`` operator with a random
    password, kept in ``<data_dir>/operator.txt`` (mode 0600); returns the text to print (also
    on later demo starts, while the file exists). A production start creates no credentials:
    operators come from ``smsrelay operator create``."""
    if not settings.demo:
        return None
    from ..services.web_access import OperatorError

    path = Path(settings.data_dir) / "operator.txt"
    access = web_access(stores)
    if await access.count_operators() == 0:
        password = secrets.token_urlsafe(12)
        try:
            await access.create_operator("admin", password)
        except OperatorError:  # another process starting at the same moment created it
            return f"console operator 'admin': created by another process, see {path}\n"
        text = f"console operator (role admin)\n  login:    admin\n  password: {password}\n"
        _write_private(path, text)
        return text
    if path.exists():
        return path.read_text()
    return None


def web_secret(settings: Settings) -> bytes:
    """The key signing web cookies: ``extra["web_secret"]`` or a random one kept in the data
    folder (so sessions survive a restart)."""
    given = settings.extra.get("web_secret")
    if given:
        return given.encode()
    path = Path(settings.data_dir) / "web-secret"
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    try:  # two processes starting at once on one data folder: the first one's key wins
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret


def _read_secret(path: Path) -> bytes:
    """The key another process is writing at this moment: read once it is there (bounded)."""
    for _ in range(100):
        secret = path.read_bytes().strip()
        if secret:
            return secret
        time.sleep(0.01)  # start-up only: the other process writes 64 bytes
    raise RuntimeError(f"{path} stays empty: remove it and start again")
