"""Finding 7: X6 ``/xml/add_originator.php`` files all its names in ONE write transaction
(it wrote one per name: 4.1 s for 1,000 names, far more under load)."""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest

from e2e.conftest import Platform


async def test_one_write_transaction_per_request(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 names (valid, invalid and repeated) are answered in order from one transaction."""
    creds = await platform.account("shop")
    db = platform.runtime.stores.db
    real_write = db.write
    writes: list[int] = []

    @contextlib.asynccontextmanager
    async def counting_write() -> AsyncIterator[Any]:
        if any(f.name == "add_originators" for f in traceback.extract_stack()):
            writes.append(1)  # the engine's own background writes are not the request's
        async with real_write() as conn:
            yield conn

    names = [f"Shop{i}" for i in range(150)] + ["Bad_Sender_Name_Too_Long"] * 10 + ["Shop7"] * 40
    inner = "".join(f"<originator>{n}</originator>" for n in names)
    doc = (
        '<?xml version="1.0" encoding="utf-8"?><request><security>'
        f'<token value="{creds["token"]}"/></security>{inner}</request>'
    )
    monkeypatch.setattr(db, "write", counting_write)
    r = await platform.post_raw(
        "/xml/add_originator.php", doc.encode(), {"Content-Type": "text/xml"}
    )
    monkeypatch.undo()
    assert 200 == r.status_code, r.text
    assert 1 == len(writes)
    answers = re.findall(r"<originator( id_originator=\"(\d+)\")?>", r.text)
    assert len(names) == len(answers)
    ids = [int(a[1]) if a[1] else None for a in answers]
    assert [None] * 10 == ids[150:160]
    assert all(i is not None for i in ids[:150])
    assert len(set(ids[:150])) == 150
    assert [ids[7]] * 40 == ids[160:]
