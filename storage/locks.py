"""Row locks that make read-then-write units of work safe when replicas run them at the same time.

A unit of work that counts before it writes (today's kudos against the allowance, the highest goal
number before the next) would let two replicas both count, both decide, both write. Locking a row
that stands for what is counted makes the second wait for the first's commit and then count
again. ``FOR NO KEY UPDATE`` rather than ``FOR UPDATE``: rows that merely point at the locked one
(a kudos naming its recipient, a goal its organisation) take a key-share lock for their foreign
key, and must not wait on it, or two people giving each other kudos would deadlock.

SQLite needs none of this: it lets one writer in at a time, and one process serves a file.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Person, Workspace


def hold_person(session: Session, person_id: int) -> None:
    """Everything one person does is done one unit of work at a time, on every platform and replica."""
    session.exec(_hold_person(), params={"person_id": person_id}).all()


@functools.cache
def _hold_person() -> Any:
    """Built once (every request takes the lock): building a statement cost more than running it."""
    return select(Person.id).where(Person.id == sa.bindparam("person_id")).with_for_update(key_share=True)


def hold_organisation(session: Session, workspace_id: int) -> None:
    """For numbers handed out per organisation (goal and key result short ids)."""
    session.exec(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update(key_share=True)).all()
