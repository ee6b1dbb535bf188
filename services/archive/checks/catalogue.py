"""Load and validate the 四性检测 catalogue (checks/catalogue.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from services.archive.vocab import PROPERTIES, STAGES

__all__ = ["Catalogue", "CheckItem", "load_catalogue"]

_PATH = Path(__file__).with_name("catalogue.yaml")


@dataclass(frozen=True, slots=True)
class CheckItem:
    id: str
    property: str
    name: str
    standard: str
    stages: tuple[str, ...]
    blocking: bool
    check: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    items: tuple[CheckItem, ...]

    def for_stage(self, stage: str) -> list[CheckItem]:
        return [i for i in self.items if stage in i.stages]


def parse_catalogue(raw: object, known_checks: set[str]) -> Catalogue:
    """Validate a catalogue document: known properties, stages and checks, unique ids."""
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise ValueError("catalogue: expected a mapping with 'version' and 'items'")
    items: list[CheckItem] = []
    seen: set[str] = set()
    for entry in raw["items"]:
        item = CheckItem(
            id=str(entry["id"]),
            property=str(entry["property"]),
            name=str(entry["name"]),
            standard=str(entry["standard"]),
            stages=tuple(entry["stages"]),
            blocking=bool(entry["blocking"]),
            check=str(entry["check"]),
        )
        if item.id in seen:
            raise ValueError(f"catalogue: duplicate item {item.id}")
        seen.add(item.id)
        if item.property not in PROPERTIES:
            raise ValueError(f"catalogue: {item.id} has unknown property {item.property}")
        if not item.stages or any(s not in STAGES for s in item.stages):
            raise ValueError(f"catalogue: {item.id} has unknown stages {item.stages}")
        if item.check != "manual" and item.check not in known_checks:
            raise ValueError(f"catalogue: {item.id} names unknown check {item.check}")
        items.append(item)
    return Catalogue(version=str(raw.get("version", "")), items=tuple(items))


@cache
def load_catalogue() -> Catalogue:
    """The shipped catalogue (validated against the checks that exist)."""
    from services.archive.checks.items import CHECKS

    return parse_catalogue(yaml.safe_load(_PATH.read_text(encoding="utf-8")), set(CHECKS))
