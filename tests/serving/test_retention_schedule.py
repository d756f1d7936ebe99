"""A running server applies retention on its schedule, with a receipt and an audit entry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aweigh.registry.service import Registry
from aweigh.storage.events import Event, ParquetEventLog


async def test_the_server_drops_expired_events_on_its_schedule(
    make_client: Any, registry: Registry, tmp_path: Path
) -> None:
    log = ParquetEventLog(tmp_path / "events")
    old = datetime.now(UTC) - timedelta(days=3)
    log.append(
        [
            Event(
                kind="prediction",
                request_id=f"old-{i}",
                model="income",
                version=1,
                ts=old,
                inputs={"age": 40},
                output="<=50K",
            )
            for i in range(5)
        ]
    )
    log.close()
    async with make_client(retention_days=1, retention_interval_s=0.2):
        for _ in range(100):
            if registry.store.audit_log(action="retention"):
                break
            await asyncio.sleep(0.1)
    entries = registry.store.audit_log(action="retention")
    assert entries, "the server never applied retention"
    assert entries[0].details["removed"]["events"] == 5
    assert list((tmp_path / "receipts").glob("*.json"))
    remaining = ParquetEventLog(tmp_path / "events")
    count = remaining.query("SELECT count(*) AS n FROM events WHERE request_id LIKE 'old-%'")
    remaining.close()
    assert count.to_pylist()[0]["n"] == 0
