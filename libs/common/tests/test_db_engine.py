"""The pooled engine rides out a PostgreSQL restart without pinging busy connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from libs.common.db import create_engine
from libs.common.db._engine import PING_AFTER_IDLE
from libs.common.testing.infra import PostgresProcess, free_port


async def test_a_service_reconnects_after_postgresql_restarts(tmp_path: Path) -> None:
    server = PostgresProcess(tmp_path / "pg", free_port(), durable=False).start()
    try:
        engine = create_engine(server.admin_url.replace("postgresql://", "postgresql+asyncpg://"))
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
        server.stop()
        server.start()
        # The pooled connection died with the old server; it rested, so it is pinged.
        await asyncio.sleep(PING_AFTER_IDLE + 0.2)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 2")) == 2
        await engine.dispose()
    finally:
        server.stop()
