"""Kudos as pure steps: parsing what people type, and every rule that can refuse a kudos."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.slack.translate import read_text
from conversations.flow import State
from conversations.kudos import (
    KudosFlow,
    KudosGiven,
    KudosReactionFlow,
    KudosTakenBack,
    parse_kudos_text,
    parse_top_arguments,
)
from conversations.messages import FORM_ERRORS, Actor, ConfiguredChannel, Inbound, Platform, Reaction
from conversations.words import Labels

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ADA = Actor(1, 1, "Ada", "ada@acme.test", "Europe/Berlin", "member")
ADA_REF = {"id": 1, "display_name": "Ada", "active": True, "is_bot": False}
GRACE = {"id": 2, "display_name": "Grace", "active": True, "is_bot": False}
LINUS = {"id": 3, "display_name": "Linus", "active": True, "is_bot": False}


def context(recipients=(GRACE,), used=0, **overrides) -> State:
    data = {
        "giver": ADA_REF,
        "recipients": list(recipients),
        "unknown": [],
        "values": [{"slug": "ownership", "label": "Ownership"}, {"slug": "customer-first", "label": "Customer first"}],
        "settings": {"channel": "#kudos", "post_in_origin_channel": False, "require_value": False},
        "allowance": {"limit": 5, "used": used, "today": "2026-12-04", "resets_in": "13 h 0 min"},
        "origin_is_channel": False,
        **overrides,
    }
    return State("kudos", "give", data)


def give(text: str, state: State | None = None, **fields):
    inbound = Inbound(
        Platform.SLACK, "T1", "U1", fields.pop("conversation", "D1"), text=text, command="kudos", actor=ADA, **fields
    )
    return KudosFlow(Labels()).step(state or context(), inbound, NOW)


@pytest.mark.parametrize(
    ("slack_text", "mentions", "message", "values"),
    [
        (
            "<@U2|grace> <@U3|linus> for shipping the release #ownership #customer-first",
            ("U2", "U3"),
            "for shipping the release",
            ("ownership", "customer-first"),
        ),
        ("<@U2>, <@U3> and <@U4>: thanks for the help!", ("U2", "U3", "U4"), "thanks for the help!", ()),
        ("<@U2|grace> merci pour la démo ✨ #Ownership.", ("U2",), "merci pour la démo ✨.", ("ownership",)),
        (
            "thanks <@U2|grace> for pairing with <@U3|linus> #ownership",
            ("U2", "U3"),
            "thanks @grace for pairing with @linus",
            ("ownership",),
        ),
        ("<@U2|grace> for &lt;!channel&gt; &amp; more <!here>", ("U2",), "for <!channel> & more @here", ()),
        ("<@U2|grace> see <https://ci.example|the build> of #42", ("U2",), "see the build of #42", ()),
    ],
)
def test_kudos_text_from_slack_is_read_into_people_message_and_values(slack_text, mentions, message, values) -> None:
    text, found = read_text(slack_text)
    assert found == mentions
    assert parse_kudos_text(text) == (message, values)


def test_good_kudos_post_a_card_dm_the_recipients_and_tell_the_giver_what_is_left() -> None:
    result = give("@grace @linus for the migration #ownership", context((GRACE, LINUS), used=1))
    assert result.changes == (KudosGiven((2, 3), "for the migration", ("ownership",), "command", date(2026, 12, 4)),)
    confirmation, card, *dms = result.outbound
    assert confirmation.private and confirmation.data["left"] == 2
    assert card.kind == "kudos_card" and card.data["values"] == ["Ownership"]
    assert card.to_channel is None and card.to_configured_channel == ConfiguredChannel.read("#kudos")
    assert card.to_configured_channel.on(Platform.TEAMS) == "#kudos"  # a name saved before: on every platform
    assert [(dm.kind, dm.to_person_id) for dm in dms] == [("kudos_received", 2), ("kudos_received", 3)]


def test_the_card_also_goes_to_the_channel_where_kudos_were_given_when_the_setting_says_so() -> None:
    kudos_channel = {"slack": "#kudos", "teams": "Kudos"}
    state = context(
        origin_is_channel=True,
        settings={"channel": kudos_channel, "post_in_origin_channel": True, "require_value": False},
    )
    cards = [
        message for message in give("@grace for X", state, conversation="C9").outbound if message.kind == "kudos_card"
    ]
    assert [(card.to_configured_channel, card.to_channel) for card in cards] == [
        (ConfiguredChannel(kudos_channel), None),
        (None, "C9"),
    ]
    no_kudos_channel = context(
        origin_is_channel=True, settings={"channel": None, "post_in_origin_channel": False, "require_value": False}
    )
    assert [
        m.to_channel for m in give("@grace for X", no_kudos_channel, conversation="C9").outbound if m.to_channel
    ] == ["C9"]


@pytest.mark.parametrize(
    ("text", "state", "code"),
    [
        ("for nothing in particular", context(()), "no_recipient"),
        ("@zed for X", context((), unknown=[{"display_name": "U9", "platform_user_id": "U9"}]), "unknown_person"),
        ("@ada for being me", context((ADA_REF,)), "self"),
        ("@bot for X", context(({**GRACE, "is_bot": True},)), "bot"),
        ("@grace for X", context(({**GRACE, "active": False},)), "inactive"),
        ("@grace #ownership", context(), "empty_message"),
        ("@grace " + "x" * 1001, context(), "too_long"),
        ("@grace for X #ownershipp", context(), "unknown_value"),
        (
            "@grace for X",
            context(settings={"channel": None, "post_in_origin_channel": False, "require_value": True}),
            "value_required",
        ),
        ("@grace @linus for X", context((GRACE, LINUS), used=4), "allowance"),
    ],
)
def test_bad_kudos_are_refused_privately_with_nothing_stored(text: str, state: State, code: str) -> None:
    result = give(text, state)
    assert result.changes == ()
    [message] = result.outbound
    assert (message.kind, message.data["code"], message.private) == ("kudos_problem", code, True)


def test_the_allowance_message_says_when_it_resets() -> None:
    [message] = give("@grace for X", context(used=5)).outbound
    assert message.data["left"] == 0 and message.data["resets_in"] == "13 h 0 min"


def test_the_form_validates_each_field() -> None:
    flow = KudosFlow(Labels())
    inbound = Inbound(Platform.SLACK, "T1", "U1", "", actor=ADA, choice="kudos.give")
    [form_message] = flow.step(context(), inbound, NOW).outbound
    assert [field.id for field in form_message.form.fields] == ["people", "values", "message"]
    submitted = Inbound(
        Platform.SLACK,
        "T1",
        "U1",
        "",
        actor=ADA,
        form_id="kudos.form",
        form={"people": ["U2"], "values": ["ownership"], "message": ""},
    )
    [errors] = flow.step(context(), submitted, NOW).outbound
    assert errors.kind == FORM_ERRORS and errors.data["errors"] == {"message": {"code": "empty_message"}}
    good = flow.step(context(), Inbound(**{**submitted.__dict__, "form": {**submitted.form, "message": "for X"}}), NOW)
    assert good.changes[0].source == "shortcut" and good.changes[0].values == ("ownership",)


def reaction_state(**overrides) -> State:
    data = {
        "giver": ADA_REF,
        "emojis": ["clap", "taco"],
        "author": GRACE,
        "card": None,
        "given": False,
        "allowance": {"limit": 5, "used": 0, "today": "2026-12-04", "resets_in": "1 h 0 min"},
        **overrides,
    }
    return State("kudos_reaction", "react", data)


def react(state: State, emoji: str = "clap", added: bool = True):
    inbound = Inbound(Platform.SLACK, "T1", "U1", "C1", actor=ADA, reaction=Reaction(emoji, "C1/1.2", "U2", added))
    return KudosReactionFlow().step(state, inbound, NOW)


def test_a_kudos_emoji_gives_the_author_one_kudos_and_removing_it_takes_it_back() -> None:
    added = react(reaction_state())
    assert added.changes == (KudosGiven((2,), ":clap:", (), "reaction", date(2026, 12, 4), "C1/1.2:clap"),)
    assert added.outbound[0].to_person_id == 2
    assert react(reaction_state(given=True), added=False).changes == (KudosTakenBack("C1/1.2:clap"),)
    assert react(reaction_state(given=True)).changes == (), "a repeated reaction counts once"
    assert react(reaction_state(), emoji="smile").changes == ()
    assert react(reaction_state(author=ADA_REF)).changes == (), "no kudos for reacting to your own message"


def test_a_reaction_on_a_recognition_card_adds_a_plus_one_for_its_recipients() -> None:
    card = {"recipients": [GRACE, LINUS, ADA_REF], "message": "for the launch", "value_slugs": ["ownership"]}
    result = react(reaction_state(card=card, author=None))
    assert result.changes == (
        KudosGiven((2, 3), "for the launch", ("ownership",), "plus_one", date(2026, 12, 4), "C1/1.2:clap"),
    )


def test_a_reaction_beyond_the_allowance_is_explained_privately() -> None:
    result = react(reaction_state(allowance={"limit": 5, "used": 5, "today": "2026-12-04", "resets_in": "1 h 0 min"}))
    assert result.changes == () and result.outbound[0].data["code"] == "allowance" and result.outbound[0].private


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("month", None, None)),
        ("week", ("week", None, None)),
        ("quarter #Ownership", ("quarter", "ownership", None)),
        ("yesterday", ("month", None, "yesterday")),
    ],
)
def test_leaderboard_arguments(text: str, expected) -> None:
    assert parse_top_arguments(text) == expected


def test_skill_tags_are_read_apart_from_the_message_and_the_values() -> None:
    from conversations.kudos import skill_tags

    text = "@ana for pairing on the migration ~mentoring #craft ~System-Design ~mentoring"
    assert parse_kudos_text(text) == ("for pairing on the migration", ("craft",))
    assert skill_tags(text) == ("mentoring", "system-design")
    assert skill_tags("costs ~5 and a~b") == ()


SKILLS = [{"slug": "mentoring", "label": "Mentoring"}, {"slug": "system-design", "label": "System design"}]


def test_kudos_naming_a_skill_record_it_and_show_its_label_on_the_card_and_to_the_recipient() -> None:
    result = give("@grace for pairing on the migration ~mentoring", context(skills=SKILLS), mentions=("U2",))
    assert result.changes[0].skills == ("mentoring",)
    card = next(message for message in result.outbound if message.kind == "kudos_card")
    received = next(message for message in result.outbound if message.kind == "kudos_received")
    assert card.data["skills"] == received.data["skills"] == ["Mentoring"]
    assert card.data["message"] == "for pairing on the migration"


def test_kudos_naming_an_unknown_skill_are_refused_with_the_listed_ones() -> None:
    result = give("@grace for the design ~sistem-design", context(skills=SKILLS), mentions=("U2",))
    assert result.changes == ()
    [refusal] = result.outbound
    assert refusal.data == {"code": "unknown_skill", "skill": "sistem-design", "listed": ["mentoring", "system-design"]}


def test_the_kudos_form_offers_the_skills_when_some_are_set_up() -> None:
    inbound = Inbound(Platform.SLACK, "T1", "U1", "", actor=ADA, choice="kudos.give")
    [form_message] = KudosFlow(Labels()).step(context(skills=SKILLS), inbound, NOW).outbound
    assert [field.id for field in form_message.form.fields] == ["people", "values", "skills", "message"]
