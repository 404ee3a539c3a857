"""``export`` and ``forget``: a person's data as a file, and a person erased.

- ``/cadence export``: everything Cadence holds about the person asking, as a JSON file in their
  chat with Cadence; ``/cadence export @sam``: the same about Sam, for admins, holding what the
  privacy rules let that admin read;
- ``/cadence forget @sam``: for admins. It asks first, naming Sam and what goes, with a button that
  erases and one that keeps everything; an admin can't erase themselves in chat (another admin, or
  the operator at the command line, can).

The storage context decides who may do what and counts what would go; the steps only word it. The
file itself is never in a message: :data:`PERSONAL_DATA_FILE` carries the person's id, and the file
is built where it is delivered, so the outbox never holds a copy of anyone's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from conversations.flow import Change, State, StepResult
from conversations.messages import Choice, Inbound, Outbound
from conversations.settings_view import admins_only
from conversations.words import Labels

EXPORT_REQUESTED = "export_requested"  # an outbound kind: the file is on its way
PERSONAL_DATA_FILE = "personal_data_file"
"""An outbound kind: the export itself, ``{"person_id": 12}``, built into a file where it is delivered;
its template is the words that go with the file."""
PERSONAL_DATA_DECLINED = "personal_data_declined"  # an outbound kind: the person declined the file (Teams asks)
PERSONAL_DATA_PROBLEM = "personal_data_problem"  # an outbound kind: why it can't be done, in one sentence
FORGET_CONFIRM = "forget_confirm"
FORGET_DONE = "forget_done"
FORGET_CANCELLED = "forget_cancelled"
CONFIRM = "forget.confirm"
CANCEL = "forget.cancel"


@dataclass(frozen=True)
class DataExported(Change):
    """Someone asked for the export of ``subject_id``: the audit log records it."""

    subject_id: int


@dataclass(frozen=True)
class PersonForgotten(Change):
    subject_id: int


NOT_ADMIN = "not_admin"
"""A problem code: what was asked is for admins; the answer names them, as every admin-only command's does."""


def problem(code: str, what: str, **data: Any) -> StepResult:
    """Why it can't be done, in one sentence; ``what`` names what is for admins, when that is why."""
    if code == NOT_ADMIN:
        return StepResult(outbound=(admins_only(what, list(data["admins"])),))
    return StepResult(outbound=(Outbound(PERSONAL_DATA_PROBLEM, {"code": code, **data}, private=True),))


def choice_value(action: str, person_id: int) -> str:
    return f"{action}:{person_id}"


def read_choice(choice: str) -> tuple[str, int] | None:
    """``forget.confirm:12`` → (``forget.confirm``, 12); None for anything else."""
    action, _, person_id = choice.partition(":")
    return (action, int(person_id)) if action in (CONFIRM, CANCEL) and person_id.isdigit() else None


class ExportFlow:
    """``export [@someone]``: the file is on its way, and the message that becomes it."""

    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "export"
    commands: ClassVar[tuple[str, ...]] = ("export",)
    keywords: ClassVar[tuple[str, ...]] = ("export my data", "my data")

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the export context always seeds a state"
        data = state.data
        if data.get("problem"):
            return problem(what="exporting someone else's data", **data["problem"])
        subject = data["subject"]
        return StepResult(
            outbound=(
                Outbound(EXPORT_REQUESTED, {"person": subject, "own": data["own"]}, private=True),
                Outbound(PERSONAL_DATA_FILE, {"person_id": subject["id"]}, private=True),
            ),
            changes=(DataExported(subject["id"]),),
        )


@dataclass
class ForgetFlow:
    """``forget @someone``: the question naming them and what goes, then the erasure or nothing."""

    labels: Labels
    stateless: ClassVar[bool] = True
    name: ClassVar[str] = "forget"
    commands: ClassVar[tuple[str, ...]] = ("forget",)
    keywords: ClassVar[tuple[str, ...]] = ()

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None, "the forget context always seeds a state"
        data = state.data
        if data.get("problem"):
            return problem(what="erasing someone's data", **data["problem"])
        subject = data["subject"]
        shown = {"person": subject, "counts": data["counts"], "anonymous_name": data["anonymous_name"]}
        if data["step"] == "cancelled":
            return StepResult(outbound=(Outbound(FORGET_CANCELLED, {"person": subject}, private=True),))
        if data["step"] == "confirmed":
            done = {"counts": data["counts"], "anonymous_name": data["anonymous_name"]}  # no name: the outbox keeps it
            return StepResult(
                outbound=(Outbound(FORGET_DONE, done, private=True),), changes=(PersonForgotten(subject["id"]),)
            )
        choices = (
            Choice(
                self.labels("forget_erase", name=subject["display_name"]),
                choice_value(CONFIRM, subject["id"]),
                "danger",
            ),
            Choice(self.labels("forget_keep"), choice_value(CANCEL, subject["id"])),
        )
        return StepResult(outbound=(Outbound(FORGET_CONFIRM, shown, choices, private=True),))
