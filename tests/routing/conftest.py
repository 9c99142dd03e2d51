"""Routing tests reuse the store kit and the end-to-end platform."""

from __future__ import annotations

import pytest

from smsrelay.store import Database, SqlAccountStore, SqlDeliveryQueue, SqlMessageStore
from store.conftest import Kit


@pytest.fixture
def kit(database: Database) -> Kit:
    return Kit(
        database, SqlAccountStore(database), SqlMessageStore(database), SqlDeliveryQueue(database)
    )
