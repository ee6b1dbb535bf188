"""Rows built without attribute events (libs/common/db/_rows.py) read and store as built ones."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from libs.common.db import unevented


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]
    amount: Mapped[int | None]
    state: Mapped[str] = mapped_column(default="open")


def test_an_unevented_row_reads_as_a_constructed_one() -> None:
    values = {"id": uuid.uuid4(), "name": "压测项目", "amount": None}
    built, cheap = Item(**values), unevented(Item, values)
    assert type(cheap) is Item
    assert sa.inspect(cheap).transient
    for key in ("id", "name", "amount"):
        assert getattr(cheap, key) == getattr(built, key)
    assert cheap.state is None and built.state is None  # a default applies only at INSERT


def test_an_unknown_name_is_refused_as_the_constructor_refuses_it() -> None:
    with pytest.raises(TypeError):
        Item(id=uuid.uuid4(), name="x", nmae="typo")
    with pytest.raises(TypeError, match="nmae"):
        unevented(Item, {"id": uuid.uuid4(), "name": "x", "nmae": "typo"})


def test_an_unevented_row_added_to_a_session_is_inserted_with_its_values() -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    first, second = uuid.uuid4(), uuid.uuid4()
    with Session(engine) as session, session.begin():
        session.add(unevented(Item, {"id": first, "name": "甲", "amount": 800_000}))
        session.add(unevented(Item, {"id": second, "name": "乙", "amount": None}))
    with Session(engine) as session:
        rows = {i.id: (i.name, i.amount, i.state) for i in session.scalars(sa.select(Item))}
    assert rows == {first: ("甲", 800_000, "open"), second: ("乙", None, "open")}
