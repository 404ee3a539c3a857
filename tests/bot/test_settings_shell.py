"""``settings`` in the shell, as an admin and as anyone else: the settings in effect in words, with
who applied them last; a one-sentence refusal naming the admins."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from storage import audit
from storage.models import AuditAction, Person, Workspace
from tests.storage.test_one_on_ones import ORG, TUESDAY, make_org, text, the_one


def test_an_admin_reads_the_settings_in_effect_and_who_applied_them_last(database) -> None:
    org = make_org(database)
    with database.session_scope() as session:
        workspace = session.get(Workspace, org.workspace_id)
        workspace.settings = yaml.safe_load(
            """
checkins: {day: thursday, time: "16:00"}
kudos: {daily_allowance: 3, values: [{slug: customer-first}, {slug: ownership, label: Own it}], require_value: true}
skills: [mentoring]
anonymity_threshold: 4
"""
        )
        maya = session.get(Person, org.ids["maya"])
        for actor, day in (("cli (ops)", 1), ("cli (an earlier operator)", 0)):  # recorded out of order
            audit.record(
                session,
                AuditAction.SETTINGS_APPLIED,
                workspace_id=org.workspace_id,
                actor=actor,
                details={"changed": ["checkins"]},
                at=datetime(2027, 2 + day, 1, 8, 30, tzinfo=UTC),
            )
        assert maya.role.value == "admin"
    shown = text(the_one(org.say("maya", "settings"), "settings"))
    assert "Check-ins: Thursday at 16:00 in each person's own time zone" in shown
    assert "1. How was your week? (mood)" in shown
    assert "up to 3 a day per person; values Customer first and Own it, one required" in shown
    assert "Skills: Mentoring." in shown
    assert "team figures only from 4 people" in shown
    assert "Kept: check-in answers forever, feedback forever, 1:1 notes forever, handled requests 7 days" in shown
    assert "Last applied 1 Mar 2027, 09:30 by cli (ops)." in shown, "in Maya's time zone, Berlin"
    assert "cadence config apply settings.yaml" in shown


def test_anyone_else_is_told_in_one_sentence_which_admin_to_ask(database) -> None:
    org = make_org(database)
    for who in ("sam", "grace"):
        refusal = text(the_one(org.say(who, "settings", at=TUESDAY), "admins_only"))
        assert refusal == "The settings are for admins; ask Maya Chen."


def test_without_admins_the_refusal_says_how_someone_becomes_one(database) -> None:
    org = make_org(database, ORG.replace(",admin\n", ",manager\n"))
    refusal = text(the_one(org.say("grace", "/cadence settings"), "admins_only"))
    assert "has none yet (the org file's role column makes someone one)" in refusal
