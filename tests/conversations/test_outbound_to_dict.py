"""The outbox copy of a message is exactly what ``asdict`` makes of it, only made faster."""

from __future__ import annotations

from dataclasses import asdict

from conversations.messages import (
    Choice,
    ChoiceSet,
    ConfiguredChannel,
    FieldKind,
    Form,
    FormField,
    Outbound,
    outbound_from_dict,
    outbound_to_dict,
)

BUTTONS = (Choice("Start", "checkin:start", "primary", answer=True), Choice("Skip this week", "checkin:skip"))
MESSAGES = [
    Outbound("checkin_prompt", {"name": "Ada", "week": "2026-W49", "count": 3, "minutes": 2.5}, BUTTONS),
    Outbound(
        "digest",
        {"team": {"size": 4, "names": ["Ada", "Lin"], "moods": (3, 4)}, "chart": None, "flag": True},
        BUTTONS[:1],
        to_person_id=7,
        private=True,
        thread="checkin:prompt:7:2026-W49",
    ),
    Outbound(
        "kudos_form",
        {},
        form=Form("kudos", "Give kudos", (FormField("to", "To", FieldKind.TEXT, True, BUTTONS, {"a": [1]}, "hint"),)),
        choice_set=ChoiceSet("values", BUTTONS, "Send"),
        to_configured_channel=ConfiguredChannel({"slack": "#kudos"}),
    ),
]


def test_every_message_is_copied_as_asdict_copies_it() -> None:
    for message in MESSAGES:
        assert outbound_to_dict(message) == asdict(message)
        assert outbound_from_dict(outbound_to_dict(message)) == message


def test_each_copy_is_its_own_even_where_the_buttons_are_shared() -> None:
    first, second = outbound_to_dict(MESSAGES[0]), outbound_to_dict(MESSAGES[0])
    first["choices"][0]["label"] = "changed"
    first["data"]["name"] = "changed"
    assert second["choices"][0]["label"] == "Start"
    assert outbound_to_dict(MESSAGES[0]) == asdict(MESSAGES[0])
    nested = outbound_to_dict(MESSAGES[1])
    nested["data"]["team"]["names"].append("Zed")
    assert MESSAGES[1].data["team"]["names"] == ["Ada", "Lin"]
