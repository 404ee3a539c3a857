"""Every parser of what people type or write, fed anything: it answers with its own "bad input"
result (a problem message, a report of errors, ``SettingsFileError``) and never raises anything else;
and what Cadence writes out (settings, goals, an org file) reads back as the same thing.

Numbers, key-result updates, key-result lines, command words and date spans have their own
properties in tests/conversations (test_parsers.py, test_dates.py); these add the flows around them
and the files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.settings_file import SettingsFileError, SettingsLoader, check_settings, read_yaml
from bot.slack.render import BlockKit
from bot.teams.cards import AdaptiveCards
from conversations.commands import ALIASES, read_command, typed_handles
from conversations.flow import StepResult
from conversations.goals import GoalUpdateFlow, parse_ref
from conversations.kudos import KudosFlow, parse_kudos_text, parse_top_arguments, skill_tags
from conversations.messages import Actor, Inbound, Platform
from conversations.steering import steering_word
from conversations.time_off import TimeOffFlow, TimeOffRecorded
from conversations.words import Labels
from conversations.workspace_settings import load_settings, validate_settings
from storage import goals_as_code, org_import
from storage.database import Database
from storage.models import Person, Workspace
from tests.conversations.test_kudos import context as kudos_context
from tests.security.mutations import JSON_VALUES

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STORED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ADA = Actor(1, 1, "Ada", "ada@acme.test", "Europe/Berlin", "member")
LABELS = Labels()
SLACK, TEAMS = BlockKit(), AdaptiveCards()
COMMANDS = ["kudos", "checkin", "goal", "help", "whoami", "1on1", "feedback", "privacy", *ALIASES]

typed = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(["@grace", "<@U2|grace>", "#ownership", "~mentoring", "for", "KR-3", "45", '"note"', "to"]),
        max_size=8,
    ).map(" ".join),
)


def shown_everywhere(result: StepResult) -> None:
    """A flow's answer renders on every platform, whatever was typed."""
    assert isinstance(result, StepResult)
    for outbound in result.outbound:
        SLACK.message(outbound)
        TEAMS.message(outbound)


def said(text: str, command: str) -> Inbound:
    return Inbound(Platform.SLACK, "T1", "U1", "D1", text=text, command=command, actor=ADA)


# ---- kudos --------------------------------------------------------------------------------------------------------


@FAST
@given(typed)
@example("#" * 500)
@example("@" * 500 + " for")
@example("~-~-~ #-#- for \u202e")
def test_the_kudos_command_reads_anything_as_kudos_or_says_what_is_wrong(text: str) -> None:
    message, values = parse_kudos_text(text)
    assert isinstance(message, str) and all(value == value.lower() for value in values)
    assert all(isinstance(skill, str) for skill in skill_tags(text))
    result = KudosFlow(LABELS).step(kudos_context(), said(text, "kudos"), NOW)
    shown_everywhere(result)
    kinds = {outbound.kind for outbound in result.outbound}
    assert kinds & {"kudos_problem", "kudos_sent", "kudos_form"}, kinds
    if "kudos_sent" in kinds:
        [given_kudos] = result.changes
        assert given_kudos.message == message, "what is stored is what was read"


@FAST
@given(st.text(max_size=100))
def test_kudos_top_reads_anything_as_a_period_a_value_and_what_it_could_not(text: str) -> None:
    period, value, unread = parse_top_arguments(text)
    assert period in ("week", "month", "quarter") and (value is None or isinstance(value, str))
    assert unread is None or unread in text.split()


@FAST
@given(st.text(max_size=200))
@example("a b c")
@example("&")
@example("and thanks for the review")
def test_kudos_words_without_tags_or_mentions_are_kept_as_typed(text: str) -> None:
    words = " ".join(word for word in text.split() if not any(mark in word for mark in "#~@.!?,;:-"))
    assert parse_kudos_text(words) == (words, ())


# ---- typed commands, steering words -------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=200))
@example("/")
@example("/\u0301")
@example("kudos\x00")
def test_any_line_is_a_command_with_its_text_or_none(line: str) -> None:
    read = read_command(line, COMMANDS)
    assert read is None or (
        read.command in {ALIASES.get(name, name) for name in COMMANDS} and isinstance(read.text, str)
    )
    assert all(isinstance(handle, str) for handle in typed_handles(line))
    steering_word(line)


# ---- quick goal updates -------------------------------------------------------------------------------------------

KR = {"id": 5, "ref": "KR-34", "title": "Signups", "metric": "number", "start": 0, "target": 200, "current": 50,
      "unit": "", "goal_ref": "G-12", "goal_state": "open", "can_edit": True}  # fmt: skip


@FAST
@given(typed, st.sampled_from(["", "KR-34 ", "kr-34 ", "KR-34 45 "]))
@example("45, confidence 9", "KR-34 ")
@example("1e400", "KR-34 ")
@example('"unclosed', "KR-34 45 ")
def test_a_quick_goal_update_is_an_update_or_says_what_is_wrong(text: str, start: str) -> None:
    from conversations.flow import State

    flow = GoalUpdateFlow(LABELS)
    result = flow.step(
        State("goal_update", "update", {"mine": [KR], "target": KR}), said(start + text, "goal update"), NOW
    )
    shown_everywhere(result)
    assert {outbound.kind for outbound in result.outbound} <= {"goal_problem", "goal_updated", "goal_update_form"}
    assert parse_ref(text) is None or parse_ref(text)[0] in ("G", "KR")


# ---- away dates ---------------------------------------------------------------------------------------------------


@FAST
@given(typed, st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)))
@example("99999-12-21", date(2026, 12, 2))
@example("for 99999999999 weeks", date(2026, 12, 2))
@example("31/02 to 01/03", date(2026, 12, 2))
@example("MON", date(2000, 1, 1))  # one that is recorded: its dates are checked too
def test_away_dates_are_recorded_or_the_problem_is_said(text: str, today: date) -> None:
    result = TimeOffFlow.record(text, today)
    shown_everywhere(result)
    assert {outbound.kind for outbound in result.outbound} <= {"time_off_recorded", "time_off_problem"}
    for change in result.changes:
        assert isinstance(change, TimeOffRecorded) and today <= change.starts_on <= change.ends_on


# ---- the org CSV --------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=400), st.lists(st.text(max_size=30), max_size=6).map(",".join)))
@example("email,name\n" + '"' + "x" * 200_000)
@example("email,name\n" + "x" * 200_000 + "@a.b,Ada\n")
@example('email,name\n"a@b.c,Ada\n')
@example("email,name\na@b.c,Ada\x00Lovelace\n")
@example("\ufeff\ufeffemail,name\n")
def test_any_org_file_is_read_into_rows_or_problems_by_line(text: str) -> None:
    rows, errors, bad_lines = org_import.parse(text)
    assert all(error.startswith("line ") for error in errors)
    assert all("@" in row.email and row.name for row in rows)
    assert bool(errors) == bool(bad_lines)


names = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40).filter(
    lambda name: name.strip() == name and name
)
people = st.lists(
    st.tuples(st.from_regex(r"[a-z]{1,8}", fullmatch=True), names, st.sampled_from(["", "Platform", 'Design, "UX"'])),
    min_size=1,
    max_size=6,
    unique_by=lambda person: person[0],
)


def org_file(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "team", "manager_email"])
    boss = f"{rows[0][0]}@acme.example"
    for index, (user, name, team) in enumerate(rows):
        writer.writerow([f"{user}@acme.example", name, team, boss if index else ""])
    return out.getvalue()


@STORED
@given(people)
@example([("ada", 'Ada "the countess", Lovelace', 'Design, "UX"'), ("zoe", "Zoe\u0308 مرحبا 🎉", "")])
@example([("ada", "'; DROP TABLE people; --", ""), ("bob", "{{ 7*191 }}", "Platform")])
def test_an_org_file_written_with_quotes_commas_and_any_script_imports_as_written_and_again_as_a_no_op(
    database: Database, rows
) -> None:
    text = org_file(rows)
    with database.session_scope() as session:
        for person in session.exec(select(Person)):
            session.delete(person)
        workspace = session.exec(select(Workspace)).first() or Workspace(name="Acme")
        session.add(workspace)
        session.flush()
        first = org_import.import_org(session, workspace.id, text)
        assert first.ok, first.errors
        stored = {person.email: person.display_name for person in session.exec(select(Person))}
        assert stored == {f"{user}@acme.example": name for user, name, _ in rows}
        again = org_import.import_org(session, workspace.id, text)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
        session.rollback()


# ---- the settings YAML --------------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                ["checkins:", "  day: friday", "- a", "&x", "*x", "!!python/object:os.system", "kudos: {", '"', "\t"]
            ),
            max_size=6,
        ).map("\n".join),
    )
)
@example("a: &a [*a, *a, *a]\nb: *a")
@example("!!python/object/apply:os.system ['echo pwned']")
@example("[" * 5000)
@example("\x00")
def test_any_settings_file_is_settings_problems_by_line_or_one_sentence_about_the_file(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        document = read_yaml(path)
    except SettingsFileError as error:
        assert str(error).startswith(str(path))
        return
    chosen, problems = check_settings(document)
    assert (chosen is None) == bool(problems)


@FAST
@given(JSON_VALUES)
def test_any_settings_document_is_settings_or_problems_with_their_place(data) -> None:
    chosen, problems = validate_settings(data)
    assert (chosen is None) == bool(problems) and all(problem.message for problem in problems)


CHOICES = {
    "checkins": st.fixed_dictionaries(
        {},
        optional={
            "day": st.sampled_from(["monday", "friday"]),
            "time": st.sampled_from(["09:00", "16:30"]),
            "reminders": st.lists(st.sampled_from(["+2h", "+1d"]), max_size=2, unique=True),
        },
    ),
    "kudos": st.fixed_dictionaries(
        {},
        optional={
            "channel": st.sampled_from(["#kudos", "#général-🎉", "#تقدير"]),
            "values": st.lists(
                st.sampled_from(["ownership", "customer-first", {"slug": "craft", "label": "Craft 🎉 حرفة Zoe\u0308"}]),
                max_size=3,
                unique_by=str,
            ),
            "daily_allowance": st.integers(1, 20),
            "emojis": st.lists(st.sampled_from(["clap", "tada", "taco"]), min_size=1, max_size=3, unique=True),
        },
    ),
    "digest": st.fixed_dictionaries({}, optional={"day": st.sampled_from(["monday", "sunday"])}),
    "anonymity_threshold": st.integers(3, 10),
}


@SLOW
@given(st.fixed_dictionaries({}, optional=CHOICES))
def test_settings_shown_by_config_show_read_back_as_the_same_settings(data) -> None:
    chosen, problems = validate_settings(data)
    assert chosen is not None, problems
    shown = yaml.safe_dump(chosen.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    again, problems = validate_settings(yaml.load(shown, Loader=SettingsLoader))
    assert again == chosen, problems
    assert load_settings(chosen.model_dump(mode="json")) == chosen


# ---- goals as code ------------------------------------------------------------------------------------------------


@FAST
@given(
    st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries({"goals": st.lists(JSON_VALUES, max_size=3)}, optional={"period": JSON_VALUES}),
    )
)
def test_any_goals_document_is_read_as_far_as_it_can_be_with_every_problem_placed(data) -> None:
    period, goals, problems = goals_as_code.read_goal_file(data)
    assert all(isinstance(problem.path, tuple) and problem.message for problem in problems)
    assert period is None or isinstance(period, str) or period is goals_as_code.UNKNOWN_PERIOD
    assert all(goal.spec.title for goal in goals)


titles = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(str.strip)
key_results = st.fixed_dictionaries(
    {"title": titles, "start": st.integers(0, 10), "target": st.integers(20, 1000)},
    optional={"unit": st.sampled_from(["", "ms", "€", "users"]), "current": st.integers(0, 30)},
)
goal_trees = st.recursive(
    st.fixed_dictionaries(
        {"title": titles, "level": st.just("company"), "key_results": st.lists(key_results, min_size=1, max_size=2)}
    ),
    lambda children: st.fixed_dictionaries(
        {
            "title": titles,
            "level": st.just("company"),
            "key_results": st.lists(key_results, max_size=2),
            "goals": st.lists(children, min_size=1, max_size=2),
        }
    ),
    max_leaves=4,
)


@STORED
@given(st.lists(goal_trees, min_size=1, max_size=2))
@example(
    [
        {
            "title": "'; DROP TABLE goals; -- {{ 7*191 }} 🎉 Zoe\u0308 مرحبا",
            "level": "company",
            "key_results": [{"title": "<!channel>", "start": 0, "target": 20}],
        }
    ]
)
def test_goals_exported_import_back_unchanged(database: Database, goals) -> None:
    today = date(2026, 11, 20)
    with database.session_scope() as session:
        workspace = Workspace(name="Acme")
        session.add(workspace)
        session.flush()
        first = goals_as_code.import_goals(session, workspace.id, {"period": "2026-Q4", "goals": goals}, NOW, today)
        assume(not first.errors)  # two goals or key results titled alike are refused as twins
        exported = goals_as_code.export_goals(session, workspace.id)
        written = yaml.safe_dump(exported, sort_keys=False, allow_unicode=True)
        again = goals_as_code.import_goals(session, workspace.id, yaml.safe_load(written), NOW, today)
        assert not again.errors, again.errors
        assert again.created == 0 and again.updated == first.created
        assert goals_as_code.export_goals(session, workspace.id) == exported
