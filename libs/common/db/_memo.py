"""What a transaction already knows, kept for the rest of that transaction only."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def transaction_memo(session: AsyncSession, key: str) -> dict[Any, Any]:
    """A dict named ``key`` that lives as long as the session's current transaction.

    For what a transaction read or wrote and would otherwise read again (the
    links a create just wrote, the parameters a consumer batch judges by): a
    new transaction of the same session starts with an empty one, so nothing
    crosses a commit or rollback. Who writes the thing remembered must update
    or clear the memo in the same transaction; a savepoint rolled back does not
    clear it, so memos suit what no savepoint of the transaction changes.
    Outside a transaction the dict is new each time and kept nowhere.
    """
    current = session.sync_session.get_transaction()
    if current is None:
        return {}
    held = session.info.get(key)
    if held is None or held[0] is not current:
        held = session.info[key] = (current, {})
    memo: dict[Any, Any] = held[1]
    return memo
