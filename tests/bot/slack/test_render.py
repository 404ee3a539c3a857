from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.layout import chunks
from bot.slack.dialect import SlackDialect
from bot.slack.render import PICKS_ACTION, PICKS_BLOCK, SEND_PICKS_ACTION, TEMPLATES_DIR, BlockKit
from conversations.home import home_page
from conversations.messages import (
    Actor,
    Choice,
    ChoiceSet,
    FieldKind,
    Form,
    FormField,
    Outbound,
    outbound_from_dict,
    outbound_to_dict,
)
from conversations.words import TEMPLATES_DIR as WORDS_DIR
from conversations.words import Words
from tests.bot.slack.block_kit import assert_valid_message, assert_valid_view
from tests.fixtures.sample_messages import MULTIPLE_CHOICE_QUESTION, SAMPLES

ADA = Actor(1, 1, "Ada <!channel>", "ada@acme.test", "Europe/Berlin", "admin", "Platform", "Grace", 3)


@pytest.fixture(scope="module")
def block_kit() -> BlockKit:
    """One renderer for every kind, as Cadence keeps one per process: a new one compiles its templates again."""
    return BlockKit()


@pytest.mark.parametrize("kind", sorted(path.name.removesuffix(".j2") for path in WORDS_DIR.glob("[!_]*.j2")))
def test_every_message_kind_renders_to_valid_block_kit(kind: str, block_kit: BlockKit) -> None:
    message = block_kit.message(Outbound(kind, SAMPLES[kind], choices=(Choice("Start", "x.start", "primary"),)))
    assert_valid_message(message)
    assert message["blocks"][-1]["type"] == "actions"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_sample_is_plain_json_like_everything_that_waits_in_the_outbox(kind: str) -> None:
    outbound = Outbound(kind, SAMPLES[kind])
    assert outbound_from_dict(json.loads(json.dumps(outbound_to_dict(outbound)))) == outbound


def multiple_choice_question(options: list[str]) -> Outbound:
    question = {**MULTIPLE_CHOICE_QUESTION, "options": options}
    picks = tuple(Choice(option, str(index)) for index, option in enumerate(options))
    data = {"question": question, "number": 2, "count": 3, "current": None, "editing": False, "buttons": False}
    return Outbound("checkin_question", data, choice_set=ChoiceSet("checkin.answer:2026-W49:areas", picks, "Done"))


@pytest.mark.parametrize(("count", "element"), [(3, "checkboxes"), (10, "checkboxes"), (11, "multi_static_select")])
def test_a_choice_set_is_ticked_under_the_message_and_sent_with_its_own_button(count: int, element: str) -> None:
    options = [*MULTIPLE_CHOICE_QUESTION["options"], *(f"Area {n}" for n in range(4, count + 1))][:count]
    outbound = multiple_choice_question(options)
    message = BlockKit().message(outbound)
    assert_valid_message(message)
    picks, send = message["blocks"][-2:]
    assert picks["type"] == "actions" and picks["block_id"] == PICKS_BLOCK
    [picker] = picks["elements"]
    assert (picker["type"], picker["action_id"]) == (element, PICKS_ACTION)
    assert [(option["text"]["text"], option["value"]) for option in picker["options"]] == [
        (option, str(index)) for index, option in enumerate(options)
    ]
    [button] = send["elements"]
    assert (button["action_id"], button["value"], button["style"], button["text"]["text"]) == (
        SEND_PICKS_ACTION,
        "checkin.answer:2026-W49:areas",
        "primary",
        "Done",
    )
    assert outbound_from_dict(json.loads(json.dumps(outbound_to_dict(outbound)))) == outbound


def test_a_choice_set_beyond_what_a_menu_holds_shows_its_first_hundred_and_long_labels_are_cut() -> None:
    message = BlockKit().message(multiple_choice_question([f"Area {n} " + "x" * 80 for n in range(150)]))
    assert_valid_message(message)
    [menu] = message["blocks"][-2]["elements"]
    assert menu["type"] == "multi_static_select" and len(menu["options"]) == 100
    assert all(len(option["text"]["text"]) <= 75 for option in menu["options"])


def test_a_long_message_with_a_choice_set_keeps_the_set_and_stays_within_fifty_blocks(tmp_path: Path) -> None:
    (tmp_path / "long.j2").write_text("{% block body %}{{ text }}{% endblock %}")
    picks = ChoiceSet("x.set", tuple(Choice(f"Option {n}", str(n)) for n in range(3)))
    paragraph = "word " * 500
    outbound = Outbound("long", {"text": "\n\n".join([paragraph] * 120)}, (Choice("Ok", "x.ok"),), choice_set=picks)
    message = BlockKit([tmp_path]).message(outbound)
    assert_valid_message(message)
    assert len(message["blocks"]) == 50
    assert [block.get("block_id") for block in message["blocks"][-3:]] == [PICKS_BLOCK, None, None]


def test_buttons_come_in_rows_slack_accepts_and_the_five_moods_stay_one_row() -> None:
    many = tuple(Choice(f"Change {n}", f"checkin.edit:2026-W49:{n}") for n in range(30))
    message = BlockKit().message(Outbound("checkin_edit_pick", SAMPLES["checkin_edit_pick"], many))
    assert_valid_message(message)
    rows = [block["elements"] for block in message["blocks"] if block["type"] == "actions"]
    assert [len(row) for row in rows] == [25, 5]
    assert [button["value"] for row in rows for button in row] == [choice.value for choice in many]
    moods = tuple(Choice(f"{n} · {label}", f"checkin.answer:2026-W49:mood:{n}") for n, label in enumerate("ABCDE", 1))
    mood = BlockKit().message(Outbound("checkin_question", SAMPLES["checkin_question"], moods))
    assert [len(block["elements"]) for block in mood["blocks"] if block["type"] == "actions"] == [5]


def test_a_button_value_longer_than_an_action_id_gets_an_action_id_slack_accepts() -> None:
    long_value = "x.go:" + "v" * 400
    message = BlockKit().message(Outbound("not_understood", {"text": "a"}, (Choice("Go", long_value),)))
    assert_valid_message(message)
    [button] = message["blocks"][-1]["elements"]
    assert button["value"] == long_value and len(button["action_id"]) <= 255


def test_user_text_can_not_mention_anyone_or_notify_a_channel() -> None:
    message = BlockKit().message(Outbound("not_understood", {"text": "<!channel> <@U123> <https://evil|bank>"}))
    everything = str(message)
    assert "<!channel>" not in everything and "<@U123>" not in everything and "<https://evil" not in everything
    assert "&lt;!channel&gt;" in message["blocks"][0]["text"]["text"] or "Sorry" in message["text"]


def test_mentions_come_only_from_well_formed_slack_ids() -> None:
    dialect = SlackDialect()
    assert dialect.mention({"id": 1, "display_name": "Ada"}, "U024BE7LH") == "<@U024BE7LH>"
    assert dialect.mention({"id": 1, "display_name": "Ada <b>"}, "U1> <!here") == "Ada &lt;b&gt;"
    assert dialect.mention({"id": 1, "display_name": "Ada"}, None) == "Ada", "no Slack id known: the name"
    assert dialect.link("javascript:alert(1)", "click") == "click"


def test_a_long_body_is_split_into_sections_and_capped_at_fifty_blocks(tmp_path: Path) -> None:
    (tmp_path / "long.j2").write_text("{% block title %}Long{% endblock %}{% block body %}{{ text }}{% endblock %}")
    blocks = BlockKit([tmp_path])
    paragraph = "word " * 500
    message = blocks.message(
        Outbound("long", {"text": "\n\n".join([paragraph] * 120)}, choices=(Choice("Ok", "x.ok"),))
    )
    assert_valid_message(message)
    assert len(message["blocks"]) == 50
    assert message["blocks"][-2]["text"]["text"] == "_The rest is too long to show here._"


def test_a_header_longer_than_slack_allows_is_shortened(tmp_path: Path) -> None:
    (tmp_path / "titled.j2").write_text("{% block title %}{{ text }}{% endblock %}{% block body %}x{% endblock %}")
    message = BlockKit([tmp_path]).message(Outbound("titled", {"text": "T" * 400}))
    assert_valid_message(message)
    assert len(message["blocks"][0]["text"]["text"]) == 150


def test_chunks_never_exceed_the_section_limit() -> None:
    text = "\n".join(f"line {index} {'x' * 90}" for index in range(200)) + "\n\n" + "y" * 7000
    pieces = chunks(text)
    assert all(0 < len(piece) <= 3000 for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_forms_become_valid_modals_with_one_input_per_field() -> None:
    options = tuple(Choice(str(n), str(n)) for n in range(1, 6))
    many = tuple(Choice(f"Option {n}", f"o{n}") for n in range(12))
    form = Form(
        id="checkin.answers",
        title="Weekly check-in for the Platform team",
        fields=(
            FormField("mood", "How was your week?", FieldKind.SINGLE_CHOICE, True, options, initial="4"),
            FormField("done", "What got done?", FieldKind.LONG_TEXT, True, max_length=3000, initial="x"),
            FormField("hours", "Hours", FieldKind.NUMBER, initial=3.5),
            FormField("tags", "Tags", FieldKind.MULTIPLE_CHOICE, options=options, initial=["2", "3"]),
            FormField("pick", "Pick", FieldKind.SINGLE_CHOICE, options=many),
            FormField("picks", "Picks", FieldKind.MULTIPLE_CHOICE, options=many),
            FormField("from", "From", FieldKind.DATE, initial="2026-12-21"),
            FormField("who", "Who", FieldKind.PEOPLE, hint="one or more people"),
        ),
    )
    view = BlockKit().modal(form, {"channel": "D1"})
    assert_valid_view(view)
    elements = {block["block_id"]: block["element"]["type"] for block in view["blocks"]}
    assert elements == {
        "mood": "radio_buttons",
        "done": "plain_text_input",
        "hours": "number_input",
        "tags": "checkboxes",
        "pick": "static_select",
        "picks": "multi_static_select",
        "from": "datepicker",
        "who": "multi_users_select",
    }
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "4"
    assert view["title"]["text"] == "Weekly check-in for the…"
    assert view["private_metadata"] == '{"channel":"D1"}'


def test_the_home_tab_is_a_valid_home_view_with_the_persons_name() -> None:
    view = BlockKit().home(home_page(ADA))
    assert_valid_view(view)
    assert view["type"] == "home"
    assert view["blocks"][0]["text"]["text"] == "Hi Ada <!channel> 👋"  # plain_text: shown literally, never parsed
    assert "For you as a manager" in str(view) and "Who sees what" in str(view)


def test_an_ephemeral_answer_combines_replies() -> None:
    response = BlockKit().ephemeral_response(
        [Outbound("not_understood", {"text": "a"}), Outbound("help", SAMPLES["help"])]
    )
    assert response["response_type"] == "ephemeral"
    assert_valid_message(response)
    assert BlockKit().ephemeral_response([]) == {}


def test_layout_templates_pass_every_value_through_tojson() -> None:
    allowed_calls = re.compile(
        r'^\s*(comma\(\)|element\(field\)|option\(.*\)|options\(field\)|initial_options?\(field\)|"," if not loop.last)\s*$'
    )
    for path in TEMPLATES_DIR.glob("*.json.j2"):
        for expression in re.findall(r"{{(.*?)}}", path.read_text(), flags=re.S):
            assert expression.strip().endswith("| tojson") or allowed_calls.match(expression), (
                f"{path.name}: {expression}"
            )


def test_slack_words_use_mrkdwn() -> None:
    rendered = Words(SlackDialect()).render("help", SAMPLES["help"])
    assert "*Check-ins*" in rendered.body and "`/cadence whoami`" in rendered.body, (
        "slash commands, as Slack people type them"
    )
