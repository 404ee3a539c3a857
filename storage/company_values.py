"""Company values, kept in step with the settings file so kudos can reference them by key."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from conversations.workspace_settings import CompanyValueSetting
from storage.models import CompanyValue


@dataclass(frozen=True)
class ValuesSync:
    created: int
    updated: int
    retired: int


def sync(session: Session, workspace_id: int, wanted: Iterable[CompanyValueSetting]) -> ValuesSync:
    """Create and update the values named in settings; retire (never delete) the others, so old kudos keep them."""
    existing = {
        value.slug: value
        for value in session.exec(select(CompanyValue).where(CompanyValue.workspace_id == workspace_id))
    }
    created = updated = 0
    wanted_slugs = set()
    for setting in wanted:
        wanted_slugs.add(setting.slug)
        label = setting.shown_label
        row = existing.get(setting.slug)
        if row is None:
            session.add(
                CompanyValue(workspace_id=workspace_id, slug=setting.slug, label=label, description=setting.description)
            )
            created += 1
        elif (row.label, row.description, row.active) != (label, setting.description, True):
            row.label, row.description, row.active = label, setting.description, True
            session.add(row)
            updated += 1
    retired = 0
    for slug, row in existing.items():
        if slug not in wanted_slugs and row.active:
            row.active = False
            session.add(row)
            retired += 1
    session.flush()
    return ValuesSync(created, updated, retired)


def active(session: Session, workspace_id: int) -> list[CompanyValue]:
    return list(session.exec(_active(), params={"workspace_id": workspace_id}))


@functools.cache
def _active() -> Any:
    """Built once (every kudos reads the values): building a statement cost more than running it."""
    return (
        select(CompanyValue)
        .where(CompanyValue.workspace_id == sa.bindparam("workspace_id"), CompanyValue.active)
        .order_by(CompanyValue.slug)
    )
