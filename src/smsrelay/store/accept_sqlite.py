"""The accepting transaction's reads and writes on SQLite, as plain ``sqlite3`` steps for the
writer thread (``store.sqlite_writer``); the decisions stay in ``store.messages``.

:func:`load_sqlite` reads what ``SqlMessageStore._load`` reads (the accounts, with the resellers
above them, the senders, stopped phones and earlier ``client_id_sms`` of the batch) in one
hand-off; when the price lists changed since they were cached it raises :class:`StalePrices`
and the caller takes the SQLAlchemy path, which reloads them. :func:`write_sqlite` allocates
the ids, inserts the messages and moves the money in the second (committing) hand-off.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..domain.acceptance import MAX_RESELLER_DEPTH
from ..services.ports import AcceptRequest
from .schema import PRICES_VERSION_KEY
from .schema_tariffs import TARIFFS_VERSION_KEY
from .tariff_cache import TariffCache

__all__ = ["AcceptLoad", "AccountRow", "MoneyRows", "StalePrices", "load_sqlite", "write_sqlite"]

_IN = "IN (SELECT value FROM json_each(?))"
_ACCOUNTS = (
    "SELECT id, parent_id, balance_micros, locked, any_sender, active,"
    f" (SELECT value FROM meta WHERE key = '{PRICES_VERSION_KEY}'),"
    f" (SELECT value FROM meta WHERE key = '{TARIFFS_VERSION_KEY}')"
    f" FROM accounts WHERE id {_IN} ORDER BY id"
)
_SENDERS = f"SELECT account_id, name, state FROM senders WHERE account_id {_IN} AND name {_IN}"
_STOPPED = f"SELECT account_id, phone FROM stop_list WHERE account_id {_IN} AND phone {_IN}"
_EARLIER = (
    "SELECT account_id, client_id_sms, id, parts, price_micros FROM messages"
    f" WHERE account_id {_IN} AND client_id_sms {_IN}"
)
# AUTOINCREMENT: the next id is above every id ever used, even if that row was deleted since.
LAST_ID = (
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),"
    " coalesce((SELECT max(id) FROM messages), 0))"
)
_BALANCE = "UPDATE accounts SET balance_micros = balance_micros + ? WHERE id = ?"
_LEDGER = (
    "INSERT INTO ledger (account_id, amount_micros, kind, message_id, created_at)"
    " VALUES (?, ?, ?, NULL, ?)"
)
_CHARGES = (
    "INSERT INTO message_charges (message_id, level, account_id, child_id, channel, parts,"
    " price_micros, income_micros, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class StalePrices(Exception):
    """The cached price lists are not those of the database's versions: reload first."""


class AccountRow(NamedTuple):
    """An account's row as the accepting transaction reads it."""

    id: int
    parent_id: int | None
    balance_micros: int
    locked: bool
    any_sender: bool
    active: bool
    prices_version: str | None
    tariffs_version: str | None


@dataclass(slots=True)
class AcceptLoad:
    """What the accepting transaction read (rows are ``AccountRow`` or SQLAlchemy rows)."""

    rows: dict[int, Any] = field(default_factory=dict)  # account id -> row
    found: list[Any] = field(default_factory=list)  # the batch's active accounts, by id
    senders: list[tuple[int, str, str]] = field(default_factory=list)  # account, name, state
    stopped: list[tuple[int, str]] = field(default_factory=list)  # account, phone
    # account, client_id_sms, message id, parts, price per part
    earlier: list[tuple[Any, ...]] = field(default_factory=list)

    def active(self, account_ids: Sequence[int]) -> list[Any]:
        self.found = [self.rows[a] for a in account_ids if a in self.rows and self.rows[a].active]
        return self.found


@dataclass(slots=True)
class MoneyRows:
    """A batch's money: balance deltas per account (in id order), ledger rows (account,
    micros, kind), and ``message_charges`` rows whose first item is the message's row (its
    id is known only once inserted)."""

    balances: list[tuple[int, int]] = field(default_factory=list)
    ledger: list[tuple[int, int, str]] = field(default_factory=list)
    charges: list[list[Any]] = field(default_factory=list)


def _json(values: Sequence[Any]) -> str:
    return json.dumps(list(values))


def load_sqlite(
    con: sqlite3.Connection, requests: Sequence[AcceptRequest], tariffs: TariffCache
) -> AcceptLoad:
    """``SqlMessageStore._load`` in one step (SQLite's write lock is already held)."""
    senders_ids = sorted({r.account_id for r in requests})
    loaded = AcceptLoad()
    wanted = {*senders_ids, *tariffs.known_ancestors(senders_ids)}
    for _ in range(MAX_RESELLER_DEPTH + 1):  # again only for resellers not yet known
        for r in con.execute(_ACCOUNTS, (_json(sorted(wanted)),)):
            row = AccountRow(*r)
            loaded.rows[row.id] = row
            tariffs.learn(row.id, row.parent_id)
        wanted = tariffs.missing_ancestors(senders_ids, loaded.rows)
        if not wanted:
            break
    found = loaded.active(senders_ids)
    if not found:
        return loaded
    if not tariffs.is_current(found[0].prices_version, found[0].tariffs_version):
        raise StalePrices
    ids = _json([a.id for a in found])
    strict = {a.id for a in found if not a.any_sender}
    everything = [m for r in requests for m in r.messages]
    names = sorted({m.sender for m in everything if m.account_id in strict})
    if names:
        loaded.senders = con.execute(_SENDERS, (_json(sorted(strict)), _json(names))).fetchall()
    phones = _json(sorted({m.phone for m in everything}))
    loaded.stopped = con.execute(_STOPPED, (ids, phones)).fetchall()
    client_ids = sorted({m.client_id_sms for m in everything if m.client_id_sms is not None})
    if client_ids:
        loaded.earlier = con.execute(_EARLIER, (ids, _json(client_ids))).fetchall()
    return loaded


def write_sqlite(
    con: sqlite3.Connection,
    insert_sql: str,
    rows: list[list[Any]],
    money: MoneyRows,
    now: str,
) -> None:
    """Allocate the rows' ids (above every id ever used: we hold the only write lock), insert
    them with one ``executemany``, then the money. ``now`` is already in SQLite's form."""
    if rows:
        last = int(con.execute(LAST_ID).fetchone()[0] or 0)
        for new_id, row in enumerate(rows, start=last + 1):
            row[0] = new_id
        con.executemany(insert_sql, [tuple(r) for r in rows])
    if money.balances:
        con.executemany(_BALANCE, [(m, a) for a, m in money.balances])
    if money.ledger:
        con.executemany(_LEDGER, [(a, m, kind, now) for a, m, kind in money.ledger])
    if money.charges:
        con.executemany(_CHARGES, [(c[0][0], *c[1:], now) for c in money.charges])
