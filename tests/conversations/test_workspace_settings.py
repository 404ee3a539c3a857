from __future__ import annotations

from datetime import date

import pytest

from conversations.messages import Platform
from conversations.workspace_settings import DEFAULT_QUESTIONS, load_settings, validate_settings


def test_an_empty_mapping_gives_working_defaults() -> None:
    settings, errors = validate_settings({})
    assert errors == []
    assert settings.checkins.day == "friday" and settings.checkins.time == "10:00"
    assert settings.checkins.reminders == ("+4h", "next-workday 08:00")
    assert settings.digest.day == "monday" and settings.digest.time == "09:00"
    assert settings.kudos.daily_allowance == 5 and settings.kudos.emojis == ("clap",)
    assert settings.anonymity_threshold == 5
    assert [question.kind for question in settings.checkins.questions] == [
        "mood",
        "text",
        "text",
        "text",
        "goal_progress",
    ]


def test_values_are_normalised() -> None:
    settings, errors = validate_settings(
        {
            "checkins": {"time": "9:05", "reminders": ["+2h", "next-workday   8:30"]},
            "kudos": {"emojis": [":taco:"], "values": ["#Ownership"]},
        }
    )
    assert errors == []
    assert settings.checkins.time == "09:05"
    assert settings.checkins.reminders == ("+2h", "next-workday 08:30")
    assert settings.kudos.emojis == ("taco",)
    assert settings.kudos.values[0].slug == "ownership"


def test_team_overrides_merge_over_the_workspace_settings() -> None:
    settings, _ = validate_settings(
        {"checkins": {"time": "11:00"}, "teams": {"platform": {"checkins": {"day": "thursday"}}}}
    )
    platform = settings.for_team("platform")
    assert (platform.checkins.day, platform.checkins.time) == ("thursday", "11:00")
    assert settings.for_team("design").checkins.day == "friday"
    assert settings.for_team(None) is settings


def test_errors_name_the_key_and_say_what_to_write() -> None:
    _, errors = validate_settings(
        {
            "checkins": {
                "time": "25:00",
                "reminders": ["soonish"],
                "questions": [{"id": "q", "kind": "single_choice", "text": "?"}],
            },
            "kudos": {"daily_allowance": 0},
            "teams": {"platform": {"checkins": {"dya": "monday"}}},
        }
    )
    found = {error.where: error.message for error in errors}
    assert 'write it as HH:MM, for example "10:00"' in found["checkins.time"]
    assert '"+4h"' in found["checkins.reminders.0"]
    assert "at least two options" in found["checkins.questions.0"]
    assert found["kudos.daily_allowance"] == "0 is out of range; write a whole number from 1 to 100"
    assert "unknown setting" in found["teams.platform.checkins.dya"] and "day" in found["teams.platform.checkins.dya"]


def test_duplicate_question_ids_are_refused() -> None:
    question = {"id": "done", "text": "Done?"}
    _, errors = validate_settings({"checkins": {"questions": [question, question]}})
    assert errors and 'two questions have the id "done"' in errors[0].message


def test_stored_settings_load_with_defaults_for_what_is_missing() -> None:
    settings = load_settings({"digest": {"day": "tuesday"}})
    assert settings.digest.day == "tuesday" and settings.digest.time == "09:00"
    assert settings.checkins.questions == DEFAULT_QUESTIONS


LIBRARY_WORDING = (
    "Input should",
    "Field required",
    "valid tuple",
    "Value error",
    "String should",
    "Extra inputs",
    "unable to parse",
    "instance of",
    "Tuple should",
    "Datetimes provided",
    "should have at",
    "after validation",
    "validation error",
    "pydantic",
)


def test_an_empty_document_is_refused_with_what_to_do() -> None:
    settings, errors = validate_settings(None)
    assert settings is None
    assert [error.path for error in errors] == [()]
    assert "apply a file containing {}" in errors[0].message and "retire every company value" in errors[0].message


def test_one_bad_field_hides_no_other_problem() -> None:
    """A duplicate id used to appear only once the kind and the time were fixed."""
    _, errors = validate_settings(
        {
            "checkins": {
                "time": "25:00",
                "team_summary": True,
                "questions": [
                    {"id": "mood", "kind": "moood", "text": "How was your week?"},
                    {"id": "mood", "kind": "single_choice", "text": "Pick", "options": ["yes"]},
                ],
            },
            "kudos": {"require_value": True, "daily_allowance": 0},
        }
    )
    found = {error.where: error.message for error in errors}
    assert set(found) == {
        "checkins.time",
        "checkins.team_summary",
        "checkins.questions.0.kind",
        "checkins.questions.1.id",
        "checkins.questions.1.options",
        "kudos.require_value",
        "kudos.daily_allowance",
    }
    assert found["checkins.questions.0.kind"].endswith('did you mean "mood"?')
    assert found["checkins.questions.1.id"] == 'two questions have the id "mood"; give each question its own id'
    assert "at least two options" in found["checkins.questions.1.options"]
    assert "needs a team_channel" in found["checkins.team_summary"]


def test_unknown_team_names_are_refused_with_the_closest_one() -> None:
    data = {"teams": {"Platfrom": {"checkins": {"day": "thursday"}}, "Design": {"digest": {"day": "tuesday"}}}}
    _, errors = validate_settings(data, known_teams=["Platform", "Design"])
    assert [(error.where, error.message) for error in errors] == [
        (
            "teams.Platfrom",
            'there is no team "Platfrom"; teams come from the org file (Design, Platform); did you mean "Platform"?',
        )
    ]
    _, errors = validate_settings({"teams": {"Sales": {}}}, known_teams=["Platform", "Design"])
    assert errors[0].message.endswith("(Design, Platform); use one of those names")
    _, errors = validate_settings({"teams": {"Sales": {}}}, known_teams=[])
    assert "names none yet" in errors[0].message
    assert validate_settings(data, known_teams=None)[1] == [], "None: the caller doesn't know the teams"


def test_a_team_name_differing_only_in_case_is_refused() -> None:
    """Overrides are looked up by the exact team name, so "platform" would never apply."""
    _, errors = validate_settings({"teams": {"platform": {}}}, known_teams=["Platform"])
    assert errors[0].message.endswith('did you mean "Platform"?')


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (
            {"kudos": {"values": ["ownership", {"slug": "craft"}, "#Ownership"]}},
            "kudos.values.2",
            'two company values are called "ownership"; list each value once',
        ),
        (
            {"checkins": {"questions": [{"id": "done", "text": "A?"}, {"id": "done", "text": "B?"}]}},
            "checkins.questions.1.id",
            'two questions have the id "done"; give each question its own id',
        ),
        (
            {
                "checkins": {
                    "questions": [{"id": "ok", "kind": "single_choice", "text": "?", "options": ["yes", "no", "Yes "]}]
                }
            },
            "checkins.questions.0.options.2",
            'the option "yes" is listed twice; list each option once',
        ),
        (
            {"kudos": {"emojis": ["clap", "taco", ":clap:"]}},
            "kudos.emojis.2",
            'the emoji "clap" is listed twice; list each emoji once',
        ),
        (
            {"kudos": {"reactions": {"teams": ["heart", "like", "Heart"]}}},
            "kudos.reactions.teams.2",
            'the reaction "heart" is listed twice; list each reaction once',
        ),
        (
            {"kudos": {"emojis": ["clap"], "reactions": {"slack": ["taco"]}}},
            "kudos.reactions.slack",
            "Slack's kudos emojis are listed twice, as emojis and as reactions.slack; keep one, "
            "for example reactions: {slack: [clap, taco], teams: [heart]}",
        ),
        (
            {"holidays": [date(2026, 12, 25), "2026-12-25"]},
            "holidays.1",
            "2026-12-25 is listed twice; list each holiday once",
        ),
        (
            {"checkins": {"reminders": ["+4h", "next-workday 08:00", "+4h"]}},
            "checkins.reminders.2",
            'the reminder "+4h" is listed twice; list each reminder once',
        ),
    ],
)
def test_each_kind_of_duplicate_is_refused_at_the_repeat(data, where: str, message: str) -> None:
    _, errors = validate_settings(data)
    assert [(error.where, error.message) for error in errors] == [(where, message)]


def test_settings_stored_with_duplicates_by_an_older_version_still_load() -> None:
    """Duplicates are refused in files; the models accept them, so the bot keeps working on old data."""
    assert load_settings({"kudos": {"emojis": ["clap", "clap"]}}).kudos.emojis == ("clap", "clap")


@pytest.mark.parametrize(
    ("data", "where", "allowed"),
    [
        (
            {"chekins": {}},
            "chekins",
            "anonymity_threshold, checkins, digest, expectations, feedback, goals, holidays, kudos, one_on_ones, retention, skills, teams, templates_dir",
        ),
        ({"teams": {"Platform": {"chekins": {}}}}, "teams.Platform.chekins", "checkins, digest"),
        ({"teams": {"Platform": {"digest": {"tme": "10:00"}}}}, "teams.Platform.digest.tme", "day, mood_drop"),
        (
            {"checkins": {"questions": [{"id": "a", "text": "?", "kidn": "text"}]}},
            "checkins.questions.0.kidn",
            "blocker, highlight, id, kind, labels, maximum, minimum, options, required, text",
        ),
        ({"kudos": {"values": [{"slug": "a", "lable": "A"}]}}, "kudos.values.0.lable", "description, label, slug"),
        ({"kudos": {"channel": {"slak": "#kudos"}}}, "kudos.channel.slak", "slack, teams"),
        ({"kudos": {"reactions": {"team": ["heart"]}}}, "kudos.reactions.team", "slack, teams"),
    ],
)
def test_unknown_settings_always_list_the_allowed_keys(data, where: str, allowed: str) -> None:
    _, errors = validate_settings(data)
    found = {error.where: error.message for error in errors}
    assert found[where].startswith("unknown setting")
    assert f"the settings allowed here are: {allowed}" in found[where]


def test_a_team_override_that_breaks_a_rule_is_blamed_on_the_team() -> None:
    _, errors = validate_settings({"teams": {"Platform": {"checkins": {"team_summary": True}}}})
    assert [error.where for error in errors] == ["teams.Platform.checkins.team_summary"]


def test_problems_of_the_workspace_settings_are_not_repeated_for_each_team() -> None:
    _, errors = validate_settings(
        {"checkins": {"time": "25:00"}, "teams": {"Platform": {"checkins": {"day": "thursday"}}, "Design": {}}}
    )
    assert [error.where for error in errors] == ["checkins.time"]


BAD_SETTINGS = [
    [],
    {"checkins": 5},
    {"checkins": None},
    {"checkins": {"questions": "x"}},
    {"checkins": {"questions": [5, {"kind": "mood"}]}},
    {"checkins": {"questions": []}},
    {"checkins": {"questions": [{"id": "A", "text": ""}]}},
    {"checkins": {"questions": [{"id": "a", "text": "x", "labels": ["a", "b"]}]}},
    {"checkins": {"questions": [{"id": "a", "text": "x", "labels": ["a", "b", "c", "d", "e", "f"]}]}},
    {"checkins": {"questions": [{"id": "a", "text": "x", "labels": "abc"}]}},
    {"checkins": {"questions": [{"id": "a", "text": "x", "minimum": "lots", "maximum": None, "required": "maybe"}]}},
    {"checkins": {"questions": [{"id": "a", "text": "x", "minimum": 5, "maximum": 1, "options": ["x"]}]}},
    {
        "checkins": {
            "questions": [{"id": "x" * 50, "text": "y" * 400, "kind": "single_choice", "options": ["a" * 80, ""]}]
        }
    },
    {"checkins": {"day": "fridy", "time": 10, "team_channel": 5, "notify_manager": "never", "closes": "soon"}},
    {"checkins": {"reminders": "+4h", "team_summary": "perhaps"}},
    {"digest": {"mood_drop": 0, "no_kudos_days": 1000, "stale_goal_weeks": 2.5, "time": None, "day": 3}},
    {"kudos": {"values": [5, {"slug": 3}, "Own ership", {"label": "x"}], "daily_allowance": "many", "emojis": [1]}},
    {"kudos": {"channel": ["#a"], "require_value": True, "leaderboard": "sometimes"}},
    {"kudos": {"channel": {"slack": "", "teams": 5}, "reactions": {"slack": "clap", "teams": [1]}}},
    {"checkins": {"team_channel": "  ", "team_summary": True}},
    {"goals": {"personal_goals_public": 2}},
    {"anonymity_threshold": 1, "templates_dir": 5},
    {"holidays": ["christmas", 5, "2026-12-25T10:00"]},
    {"holidays": "2026-12-25"},
    {"teams": []},
    {"teams": {"Platform": 5, 3: {}, "Design": {"checkins": [1], "digest": {"day": "someday"}}}},
]


@pytest.mark.parametrize("data", BAD_SETTINGS)
def test_no_message_uses_the_validation_library_wording(data) -> None:
    _, errors = validate_settings(data, known_teams=["Platform"])
    assert errors
    for error in errors:
        assert not [phrase for phrase in LIBRARY_WORDING if phrase.lower() in error.message.lower()], error
        assert error.message and "  " not in error.message and not error.message.endswith((":", ";", ",")), error


def test_a_channel_is_one_name_everywhere_or_one_per_platform_and_is_shown_as_written() -> None:
    everywhere = load_settings({"kudos": {"channel": "#kudos"}})
    assert everywhere.kudos.channel.by_platform() == {"slack": "#kudos", "teams": "#kudos", "shell": "#kudos"}
    per_platform = load_settings({"kudos": {"channel": {"slack": "#kudos", "teams": "Kudos"}}})
    assert per_platform.kudos.channel.on(Platform.TEAMS) == "Kudos"
    assert per_platform.kudos.channel.on(Platform.SHELL) == "#kudos", "the shell previews Slack's"
    only_teams = load_settings({"checkins": {"team_summary": True, "team_channel": {"teams": "Platform"}}})
    assert only_teams.checkins.team_channel.by_platform() == {"teams": "Platform", "shell": "Platform"}
    assert everywhere.model_dump(mode="json")["kudos"]["channel"] == "#kudos"
    assert per_platform.model_dump(mode="json")["kudos"]["channel"] == {"slack": "#kudos", "teams": "Kudos"}
    assert load_settings(per_platform.model_dump(mode="json")) == per_platform


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            5,
            '5 is not a channel; name one, such as "#kudos", or one per platform, such as {slack: "#kudos", teams: "Kudos"}',
        ),
        (
            "",
            'the channel name is empty; name one, such as "#kudos", or one per platform, such as {slack: "#kudos", teams: "Kudos"}',
        ),
    ],
)
def test_a_channel_that_is_not_a_name_says_both_ways_to_write_one(channel, message: str) -> None:
    _, errors = validate_settings({"kudos": {"channel": channel}})
    assert [(error.where, error.message) for error in errors] == [("kudos.channel", message)]


def test_a_team_summary_needs_a_channel_on_some_platform() -> None:
    _, errors = validate_settings({"checkins": {"team_summary": True, "team_channel": {}}})
    assert [error.where for error in errors] == ["checkins.team_summary"]
    settings, errors = validate_settings({"checkins": {"team_summary": True, "team_channel": {"teams": "Platform"}}})
    assert errors == [] and settings.checkins.team_channel.on(Platform.SLACK) is None


def test_reactions_are_per_platform_and_slacks_default_to_the_emojis_setting() -> None:
    defaults = load_settings({})
    assert (defaults.kudos.reactions_on(Platform.SLACK), defaults.kudos.reactions_on(Platform.TEAMS)) == (
        ("clap",),
        ("heart",),
    )
    assert load_settings({"kudos": {"emojis": [":taco:"]}}).kudos.reactions_on(Platform.SLACK) == ("taco",)
    chosen = load_settings({"kudos": {"reactions": {"slack": ["Clap", ":tada:"], "teams": ["like", "heart"]}}})
    assert chosen.kudos.reactions_on(Platform.SLACK) == ("clap", "tada")
    assert chosen.kudos.reactions_on(Platform.TEAMS) == ("like", "heart")


def test_reactions_are_shown_as_they_apply_and_read_back_the_same() -> None:
    defaults = load_settings({})
    assert defaults.model_dump(mode="json")["kudos"]["reactions"] == {"teams": ["heart"]}, (
        "no `slack: null`: Slack's reactions are kudos.emojis unless set"
    )
    chosen = load_settings({"kudos": {"reactions": {"slack": ["taco"], "teams": ["like"]}}})
    assert chosen.model_dump(mode="json")["kudos"]["reactions"] == {"slack": ["taco"], "teams": ["like"]}
    for settings in (defaults, chosen):
        assert load_settings(settings.model_dump(mode="json")) == settings


def test_expectations_are_kept_per_level_and_skill_as_short_statements() -> None:
    settings, problems = validate_settings(
        {
            "skills": ["mentoring", {"slug": "system-design", "label": "System design"}],
            "expectations": {"engineer/senior": {"system-design": ["Designs services others can run"]}},
        }
    )
    assert problems == []
    assert settings.expectations == {"engineer/senior": {"system-design": ("Designs services others can run",)}}


def test_expectations_naming_a_misspelt_skill_suggest_the_listed_one() -> None:
    _, problems = validate_settings(
        {"skills": ["mentoring", "system-design"], "expectations": {"engineer/senior": {"mentorin": ["Helps"]}}}
    )
    assert [(problem.path, problem.message) for problem in problems] == [
        (
            ("expectations", "engineer/senior", "mentorin"),
            '"mentorin" is not one of the skills (mentoring, system-design); did you mean "mentoring"?',
        )
    ]


def test_expectations_for_a_level_written_without_its_track_are_refused_once() -> None:
    _, problems = validate_settings({"skills": ["mentoring"], "expectations": {"Senior": {"mentoring": ["Helps"]}}})
    assert [problem.message for problem in problems] == [
        '"Senior" is not a level; write the track and the level, like "engineer/senior"'
    ]


def test_the_example_settings_file_is_valid_and_sets_every_section() -> None:
    from pathlib import Path

    import yaml

    example = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.example.yaml").read_text())
    settings, problems = validate_settings(example, known_teams=["Platform"])
    assert problems == [] and settings is not None
    assert set(example) == set(type(settings).model_fields) - {"templates_dir"}, "a section missing from the example"
