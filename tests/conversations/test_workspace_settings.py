from __future__ import annotations

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
