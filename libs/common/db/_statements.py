"""Statements SQLAlchemy would otherwise compile again on every execution."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.engine.interfaces import BindTyping

# Renders the SQL the service's dialect would, with parameters named (:name) as text()
# expects them and without casts (``:id::UUID`` is not a parameter to text()); the
# service's dialect adds its casts from the parameters' types when it compiles the text.
_NAMED = psycopg2.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
_NAMED.bind_typing = BindTyping.NONE


def cacheable_insert(stmt: sa.Insert) -> sa.TextClause:
    """``stmt``, a PostgreSQL ``INSERT … ON CONFLICT``, compiled once into text.

    SQLAlchemy 2.0 gives the PostgreSQL dialect's INSERT no cache key (its ON
    CONFLICT clause has none), so such a statement, even built once, is compiled
    again on every execution: about 4 % of an approval decision's CPU. The text
    keeps every parameter's type (JSONB is serialised as the column would be) and
    takes the same parameters, one dict or a list of them, named by column.
    """
    compiled = stmt.compile(dialect=_NAMED)
    return sa.text(compiled.string).bindparams(
        *(sa.bindparam(name, type_=bind.type) for name, bind in compiled.binds.items())
    )


def parameters(*columns: str) -> dict[str, sa.BindParameter[object]]:
    """``.values()`` of an INSERT whose values are all parameters, named by column."""
    return {name: sa.bindparam(name) for name in columns}


_PER_TABLE: dict[tuple[sa.Table, Callable[[sa.Table], sa.Insert]], sa.TextClause] = {}


def cacheable_insert_of(table: sa.Table, build: Callable[[sa.Table], sa.Insert]) -> sa.TextClause:
    """:func:`cacheable_insert` of ``build(table)``, compiled on first use for each table.

    For a statement of a shared module run on each service's own copy of a table (the
    tenant tree, the idempotency keys); ``build`` is a module-level function.
    """
    stmt = _PER_TABLE.get((table, build))
    if stmt is None:
        stmt = _PER_TABLE[(table, build)] = cacheable_insert(build(table))
    return stmt
