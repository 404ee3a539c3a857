"""The outbox and inbox copies of a message are exactly what ``asdict`` makes of it, only made faster."""

from __future__ import annotations

from dataclasses import asdict, replace

from conversations.messages import (
    Actor,
    Choice,
    ChoiceSet,
    ConfiguredChannel,
    FieldKind,
    Form,
    FormField,
    Inbound,
    Outbound,
    Platform,
    Reaction,
    inbound_from_dict,
    inbound_to_dict,
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


INBOUNDS = [
    Inbound(Platform.SLACK, "T1", "U1", "D1", text="/kudos @grace thanks", command="/kudos", mentions=("U2", "U3")),
    Inbound(
        Platform.TEAMS,
        "tenant",
        "aad-1",
        "19:conv",
        form_id="kudos",
        form={"to": ["p1", "p2"], "why": {"value": "review"}},
        reaction=Reaction("clap", "1700.1", "U9"),
        in_channel=True,
        actor=Actor(1, 2, "Ada", "ada@acme.example", "Europe/London", "employee"),
    ),
]


def test_every_inbound_is_recorded_as_asdict_copies_it_without_its_actor() -> None:
    for inbound in INBOUNDS:
        recorded = inbound_to_dict(inbound)
        assert recorded == asdict(replace(inbound, actor=None))
        assert inbound_from_dict(recorded) == replace(inbound, actor=None)
    form = INBOUNDS[1].form
    assert form is not None
    inbound_to_dict(INBOUNDS[1])["form"]["to"].append("p3")
    assert form["to"] == ["p1", "p2"]  # a copy: the inbox's payload never changes the message
