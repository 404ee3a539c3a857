"""A quarter of recognition, check-ins, goal updates and feedback at Acme, for the fairness view.

People (threshold 5), 19 active people who aren't bots:

- Ada, admin (London), manages Sam, Quinn, Dee and Sol: a group of 4, hidden (small);
- team Platform, 9 people: Sam and the 7 who report to him (P1..P7), and Quinn. Sam's reports
  are 7, but set against the Platform team they would describe the 2 others: hidden (subtraction);
  a bot and a former colleague in Platform are not counted;
- team Design, 3 people: Dee and her 2 reports: both hidden (small);
- team Sales, 5 people, all reporting to Sol, who is in no team: the same 5 people under two
  names, both shown.

Asked on Friday 4 December 2026 for 2026-Q4: ten weeks so far, 2026-W40 to 2026-W49.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from conversations.checkin import Status
from storage import checkins, org_import
from storage.models import Feedback, Goal, GoalLevel, GoalUpdate, Kudos, Person

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
PLATFORM = ["sam", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "quinn"]
SALES = ["s1", "s2", "s3", "s4", "s5"]
EVERYONE = ["ada", "sol", *PLATFORM, "dee", "e1", "e2", *SALES]


def _org_csv() -> str:
    rows = [
        "ada,Ada Lovelace,U0001,,,Europe/London,admin",
        "sol,Sol Reyes,U0002,ada,,America/New_York,manager",
        "sam,Sam Okafor,U0003,ada,Platform,Europe/Berlin,manager",
        *(f"p{n},Platform Person {n},U01{n},sam,Platform,Europe/Berlin,member" for n in range(1, 8)),
        "quinn,Quinn Ito,U0004,ada,Platform,Asia/Tokyo,member",
        "bot,Build Bot,U0005,sam,Platform,UTC,member",
        "gone,Former Colleague,U0006,sam,Platform,UTC,member",
        "dee,Dee Ford,U0007,ada,Design,Europe/London,manager",
        "e1,Design Person 1,U0201,dee,Design,Europe/London,member",
        "e2,Design Person 2,U0202,dee,Design,Europe/London,member",
        *(f"s{n},Sales Person {n},U03{n},sol,Sales,America/New_York,member" for n in range(1, 6)),
    ]
    lines = ["email,name,slack_id,manager_email,team,timezone,role"]
    for row in rows:
        handle, name, slack_id, manager, team, zone, role = row.split(",")
        manager_email = f"{manager}@acme.test" if manager else ""
        lines.append(f"{handle}@acme.test,{name},{slack_id},{manager_email},{team},{zone},{role}")
    return "\n".join(lines) + "\n"


ORG = _org_csv()


def seed_quarter(session: Session, workspace_id: int) -> dict[str, Person]:
    """The people above and what they did; returns them by handle (``p1``, ``ada``)."""
    assert org_import.import_org(session, workspace_id, ORG).ok
    who = {
        (person.email or "").split("@")[0]: person
        for person in session.exec(select(Person).where(Person.workspace_id == workspace_id))
    }
    who["bot"].is_bot = True
    who["gone"].active = False
    session.add_all([who["bot"], who["gone"]])

    def kudos(giver: str, recipient: str, day: date, ref: str) -> None:
        session.add(Kudos(workspace_id=workspace_id, giver_id=who[giver].id, recipient_id=who[recipient].id,
                          message="thanks", source_ref=ref, giver_local_date=day))  # fmt: skip

    # received in Platform: P1 3, P2 1, Quinn 1; Sales 1 each; Design: E1 2; the rest none
    for n, day in enumerate((date(2026, 10, 1), date(2026, 11, 2), date(2026, 12, 4))):
        kudos("ada", "p1", day, f"p1-{n}")
    kudos("sam", "p2", date(2026, 10, 20), "p2")
    kudos("sam", "quinn", date(2026, 11, 11), "quinn")
    for handle in SALES:
        kudos("sol", handle, date(2026, 11, 5), handle)
    kudos("dee", "e1", date(2026, 10, 7), "e1-a")
    kudos("ada", "e1", date(2026, 11, 7), "e1-b")
    kudos("ada", "p3", date(2026, 9, 30), "p3-september")  # the quarter before
    kudos("ada", "bot", date(2026, 11, 1), "bot")  # not a person
    kudos("ada", "gone", date(2026, 11, 1), "gone")  # no longer here

    statuses = {
        "2026-W48": {"p1": Status.SUBMITTED, "p2": Status.SUBMITTED, "p3": Status.SUBMITTED, "p4": Status.SUBMITTED,
                     "p5": Status.SUBMITTED, "p6": Status.SKIPPED, "p7": Status.AWAY},
        "2026-W49": {"p1": Status.SUBMITTED, "p2": Status.SUBMITTED, "p3": Status.SUBMITTED, "p4": Status.PENDING,
                     "p5": Status.IN_PROGRESS, "p6": Status.AWAY, "p7": Status.AWAY, "dee": Status.SUBMITTED,
                     **{handle: Status.SUBMITTED for handle in SALES}},
        "2026-W39": {"p1": Status.SUBMITTED},  # September
    }  # fmt: skip
    for week, answers in statuses.items():
        cycle = checkins.cycle_for(session, workspace_id, week, NOW)
        for handle, status in answers.items():
            response = checkins.response_for(session, cycle.id, who[handle].id, NOW)
            response.status = status
            session.add(response)

    def goal(owner: str, number: int, starts: date, ends: date, level: GoalLevel = GoalLevel.PERSON) -> Goal:
        made = Goal(workspace_id=workspace_id, number=number, title=f"Goal {number}", level=level, period="2026-Q4",
                    starts_on=starts, ends_on=ends, owner_id=who[owner].id)  # fmt: skip
        session.add(made)
        session.flush()
        return made

    def updates(made: Goal, *moments: datetime) -> None:
        session.add_all(GoalUpdate(goal_id=made.id, author_id=made.owner_id, created_at=at) for at in moments)

    q4 = (date(2026, 10, 1), date(2026, 12, 31))
    updates(goal("p1", 1, *q4), datetime(2026, 9, 30, 12, tzinfo=UTC), datetime(2026, 10, 5, 9, tzinfo=UTC),
            datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC))  # fmt: skip
    updates(goal("p2", 2, *q4), datetime(2026, 10, 12, 9, tzinfo=UTC))
    updates(goal("s1", 3, *q4), *(datetime(2026, 10, day, 15, tzinfo=UTC) for day in (2, 9, 16, 23, 30)))
    updates(goal("p3", 4, date(2026, 7, 1), date(2026, 9, 30)), datetime(2026, 9, 1, 9, tzinfo=UTC))  # Q3
    updates(goal("sam", 5, *q4, level=GoalLevel.TEAM), datetime(2026, 10, 5, 9, tzinfo=UTC))  # a team goal

    def feedback(giver: str, recipient: str, at: datetime) -> None:
        session.add(Feedback(workspace_id=workspace_id, giver_id=who[giver].id, recipient_id=who[recipient].id,
                             went_well="clear", given_at=at))  # fmt: skip

    feedback("p1", "p2", datetime(2026, 11, 10, 10, tzinfo=UTC))
    feedback("p2", "p1", datetime(2026, 11, 11, 10, tzinfo=UTC))
    feedback("quinn", "s1", datetime(2026, 10, 15, 1, tzinfo=UTC))
    feedback("s1", "ada", datetime(2026, 9, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 October in London
    feedback("ada", "p3", datetime(2026, 9, 30, 22, 30, tzinfo=UTC))  # 23:30 on 30 September in London
    session.flush()
    return who
