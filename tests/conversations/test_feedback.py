"""Feedback as pure steps: giving it, thanking for it, asking for it, answering and declining, and
every rule that refuses bad input with one sentence and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conversations.feedback import (
    MAX_PEERS,
    MAX_TEXT,
    AskDeclined,
    FeedbackFlow,
    FeedbackGiven,
    FeedbackListFlow,
    FeedbackQuoted,
    FeedbackRequested,
    FeedbackRequestFlow,
    FeedbackThanked,
    PeerAsked,
    Ref,
    closing_at,
    parse_request_text,
    reminder_at,
)
from conversations.flow import State
from conversations.messages import FORM_ERRORS, Actor, FieldKind, Inbound, Outbound, Platform
from conversations.words import Labels, PlainDialect, Words

NOW = datetime(2027, 3, 26, 15, 0, tzinfo=UTC)  # Friday 16:00 in Berlin
ADA = Actor(1, 1, "Ada", "ada@acme.test", "Europe/Berlin", "member")
SAM = {"id": 9, "display_name": "Sam"}
ADA_REF = {"id": 1, "display_name": "Ada", "active": True, "is_bot": False}
GRACE = {"id": 2, "display_name": "Grace", "active": True, "is_bot": False, "timezone": "Europe/Berlin", "manager": SAM}
LINUS = {
    "id": 3,
    "display_name": "Linus",
    "active": True,
    "is_bot": False,
    "timezone": "America/Los_Angeles",
    "manager": None,
}
THEMES = [
    {"kind": "value", "slug": "ownership", "label": "Ownership"},
    {"kind": "skill", "slug": "system-design", "label": "System design"},
]
WORDS = Words(PlainDialect())
LABELS = Labels()


def words(message: Outbound) -> str:
    return WORDS.render(message.kind, message.data).text


def give_context(recipients=(GRACE,), unknown=(), readers=None, **extra) -> State:
    data = {
        "actor": ADA_REF,
        "themes": THEMES,
        "recipients": list(recipients),
        "unknown": list(unknown),
        "readers": list(readers if readers is not None else [GRACE]),
        **extra,
    }
    return State("feedback", "give", data)


def step(state: State, **fields) -> object:
    inbound = Inbound(Platform.SHELL, "1", "ada@acme.test", "dm", actor=ADA, **fields)
    return FeedbackFlow(LABELS).step(state, inbound, NOW)


def submitted(state: State, form_id: str = "feedback.give:2", **values):
    form = {"went_well": "", "could_be_better": "", "theme": None, "audience": "recipient", **values}
    return step(state, form_id=form_id, form=form)


def test_naming_someone_opens_the_form_for_them_with_their_name_and_the_limits_platforms_enforce() -> None:
    result = step(give_context(), command="feedback give", text="@grace", mentions=("grace@acme.test",))
    (opened,) = result.outbound
    form = opened.form
    assert form.id == "feedback.give:2" and result.changes == ()
    assert [field.id for field in form.fields] == ["went_well", "could_be_better", "theme", "audience"]
    assert [field.max_length for field in form.fields[:2]] == [MAX_TEXT, MAX_TEXT] == [2000, 2000]
    assert "For Grace." in form.fields[0].hint and "2,000 characters" in form.fields[0].hint
    audience = form.fields[3]
    assert audience.required and audience.initial == "recipient"
    assert [choice.label for choice in audience.options] == ["Grace only", "Grace and their manager"]
    assert [choice.label for choice in form.fields[2].options] == ["Ownership · company value", "System design · skill"]


def test_someone_without_a_manager_is_offered_no_manager_to_share_with() -> None:
    (opened,) = step(give_context((LINUS,)), command="feedback give", text="@linus", mentions=("l",)).outbound
    assert [choice.label for choice in opened.form.fields[-1].options] == ["Linus only"]


@pytest.mark.parametrize(
    "fields",
    [{"command": "feedback give", "text": ""}, {"choice": "feedback.give"}],
    ids=["the command alone", "the Give feedback button"],
)
def test_nobody_named_opens_the_form_with_a_people_field(fields) -> None:
    (opened,) = step(give_context(()), **fields).outbound
    assert opened.form.id == "feedback.give"
    people = opened.form.fields[0]
    assert (people.id, people.kind, people.required) == ("people", FieldKind.PEOPLE, True)
    assert [choice.label for choice in opened.form.fields[-1].options] == [
        "Only the person",
        "The person and their manager",
    ]


@pytest.mark.parametrize(
    ("context", "text", "expected"),
    [
        (give_context(()), "grace", "Who is it for? Mention one person, for example /feedback give @grace."),
        (
            give_context((), unknown=[{"display_name": "zed", "platform_user_id": "zed"}]),
            "@zed",
            "I don't know zed in Cadence; name someone in your organisation, for example /feedback give @grace.",
        ),
        (give_context((ADA_REF,)), "@ada", "Feedback is for someone else; to hear how you're doing, ask your peers"),
        (give_context(({**GRACE, "is_bot": True},)), "@grace", "Grace is a bot; feedback is for people, for example"),
        (give_context(({**GRACE, "active": False},)), "@grace", "Grace is no longer active here; name someone who is"),
        (give_context((GRACE, LINUS)), "@grace @linus", "Feedback goes to one person at a time"),
    ],
    ids=["nobody", "a stranger", "oneself", "a bot", "someone who left", "two people"],
)
def test_a_bad_recipient_gets_one_sentence_and_nothing_is_stored(context, text, expected) -> None:
    result = step(context, command="feedback give", text=text, mentions=("x",) if "@" in text else ())
    (answer,) = result.outbound
    assert result.changes == () and answer.kind == "feedback_problem" and answer.private
    sentence = words(answer)
    assert sentence.startswith(expected) and sentence.count(".") <= 3 and "\n" not in sentence
    if answer.data["code"] != "self":
        assert "for example" in sentence


def test_good_feedback_goes_to_the_recipient_with_thanks_a_copy_to_their_manager_and_the_giver_hears_who_reads_it() -> (
    None
):
    state = give_context(readers=[GRACE, SAM])
    result = submitted(
        state,
        went_well="Calm demo.",
        could_be_better="Shorter intro.",
        theme="value:ownership",
        audience="recipient_and_manager",
    )
    assert result.changes == (FeedbackGiven(2, "Calm demo.", "Shorter intro.", "ownership", None, True, None),)
    sent, received, copy = result.outbound
    assert (
        sent.private
        and words(sent) == "Your feedback is on its way to Grace. Grace and Sam will see it, and you, who wrote it."
    )
    assert received.to_person_id == 2 and [choice.label for choice in received.choices] == [
        "Thanks 🙏",
        "Quote it in my snapshot",
    ]
    assert received.choices[0].value == f"feedback.thank:{Ref(1, NOW).value}"
    assert "Calm demo." in words(received) and "About: Ownership" in words(received)
    assert copy.to_person_id == 9 and copy.choices == (), "the manager's copy has no Thanks button"
    assert words(copy).startswith("💬 Ada gave Grace feedback and shared it with you, their manager:")


def test_feedback_for_the_recipient_only_names_only_them_and_goes_to_nobody_else() -> None:
    result = submitted(give_context(), could_be_better="Review sooner.", theme="skill:system-design")
    assert result.changes[0].skill == "system-design" and result.changes[0].value_slug is None
    sent, received = result.outbound
    assert words(sent) == "Your feedback is on its way to Grace. Only Grace will see it, and you, who wrote it."
    assert received.to_person_id == 2


def form_errors(result) -> dict[str, str]:
    (errors,) = result.outbound
    assert errors.kind == FORM_ERRORS and result.changes == ()
    return {field: WORDS.render("feedback_problem", problem).text for field, problem in errors.data["errors"].items()}


def test_feedback_with_nothing_written_is_refused_under_the_first_field_with_an_example() -> None:
    problems = form_errors(submitted(give_context(), went_well="  ", could_be_better="\n"))
    assert problems == {
        "went_well": 'Write what went well, what could be better, or both, for example "The demo was clear and calm under questions."'
    }


def test_text_over_the_limit_is_refused_under_its_field_with_the_limit_named_and_the_limit_itself_is_fine() -> None:
    problems = form_errors(submitted(give_context(), went_well="x" * MAX_TEXT, could_be_better="y" * (MAX_TEXT + 1)))
    assert problems == {"could_be_better": "This is 2,001 characters; keep it to 2,000."}
    assert submitted(give_context(), went_well="x" * MAX_TEXT).changes != ()


@pytest.mark.parametrize(
    ("context", "form_id", "values", "field", "expected"),
    [
        (give_context(()), "feedback.give", {"went_well": "x"}, "people", "Who is it for?"),
        (give_context((ADA_REF,)), "feedback.give", {"went_well": "x"}, "people", "Feedback is for someone else"),
        (
            give_context((LINUS,)),
            "feedback.give",
            {"went_well": "x", "audience": "recipient_and_manager"},
            "audience",
            'Linus has no manager in Cadence, so nobody else would read it; pick "Linus only".',
        ),
        (
            give_context(),
            "feedback.give:2",
            {"went_well": "x", "theme": "value:gone"},
            "theme",
            "That value or skill isn't set up any more",
        ),
        (
            give_context(({**GRACE, "active": False},)),
            "feedback.give:2",
            {"went_well": "x"},
            "went_well",
            "Grace is no longer active",
        ),
    ],
    ids=[
        "nobody picked",
        "oneself picked",
        "a manager who isn't there",
        "a value since retired",
        "left since the form opened",
    ],
)
def test_form_problems_show_under_their_field_and_nothing_is_stored(context, form_id, values, field, expected) -> None:
    problems = form_errors(submitted(context, form_id, **values))
    assert list(problems) == [field] and problems[field].startswith(expected)


def thank_context(thanked: bool, giver=LINUS, quoted: bool = False) -> State:
    feedback = {
        "ref": Ref(3, NOW - timedelta(days=1)).value,
        "giver": giver,
        "thanked": thanked,
        "quoted": quoted,
        "topic": "",
    }
    return give_context(feedback=feedback)


def test_only_the_recipient_lets_their_snapshot_quote_feedback_and_once_is_enough() -> None:
    value = f"feedback.quote:{Ref(3, NOW - timedelta(days=1)).value}"
    first = step(thank_context(False), choice=value)
    assert first.changes == (FeedbackQuoted(Ref(3, NOW - timedelta(days=1))),)
    assert words(first.outbound[0]).startswith("Done: your quarterly snapshot will quote this feedback from Linus.")
    again = step(thank_context(False, quoted=True), choice=value)
    assert (
        again.changes == ()
        and words(again.outbound[0]) == "This feedback is already quoted in your quarterly snapshot."
    )
    stranger = step(give_context(feedback=None), choice=value)
    assert stranger.changes == () and words(stranger.outbound[0]).startswith("That feedback isn't one you received")


def test_thanks_is_recorded_once_and_tells_the_giver_then_a_second_press_says_it_already_was() -> None:
    value = f"feedback.thank:{Ref(3, NOW - timedelta(days=1)).value}"
    first = step(thank_context(False), choice=value)
    assert first.changes == (FeedbackThanked(Ref(3, NOW - timedelta(days=1))),)
    confirmation, to_giver = first.outbound
    assert words(confirmation) == "Thanks sent to Linus." and confirmation.private
    assert to_giver.to_person_id == 3 and words(to_giver) == "🙏 Ada thanked you for your feedback."
    again = step(thank_context(True), choice=value)
    assert again.changes == () and [words(message) for message in again.outbound] == [
        "You already thanked Linus for this feedback."
    ]


def test_thanks_for_feedback_that_isnt_yours_says_so() -> None:
    result = step(give_context(feedback=None), choice="feedback.thank:3:123")
    assert result.changes == () and words(result.outbound[0]).startswith("That feedback isn't one you received")


@pytest.mark.parametrize(
    ("text", "topic", "with_manager"),
    [
        ('@grace @linus about "Q4 launch"', "Q4 launch", False),
        ("@grace @linus about “Q4 launch” and my manager", "Q4 launch", True),
        ("@grace, @linus and @ada about the Q4 launch, share with my manager.", "the Q4 launch", True),
        ("@grace about 'the offsite' & my manager too", "the offsite", True),
        ("@grace @linus", "", False),
        ("@grace.hopper@acme.test the migration", "the migration", False),
    ],
)
def test_the_topic_and_the_manager_are_read_from_what_was_typed(text, topic, with_manager) -> None:
    assert parse_request_text(text) == (topic, with_manager)


def peer(number: int, zone: str = "Europe/Berlin") -> dict:
    return {
        "id": 100 + number,
        "display_name": f"Peer {number}",
        "active": True,
        "is_bot": False,
        "timezone": zone,
        "manager": None,
    }


def request_context(peers=(GRACE, LINUS), unknown=(), manager=SAM, holidays=()) -> State:
    data = {
        "requester": {**ADA_REF, "timezone": "Europe/Berlin", "manager": manager},
        "peers": list(peers),
        "unknown": list(unknown),
        "settings": {"reminder_workdays": 3, "closes_after_days": 14, "holidays": list(holidays)},
    }
    return State("feedback_request", "ask", data)


def ask(state: State, text: str = "", **fields):
    inbound = Inbound(
        Platform.SHELL, "1", "ada@acme.test", "dm", text=text, command="feedback request", actor=ADA, **fields
    )
    return FeedbackRequestFlow(LABELS).step(state, inbound, NOW)


def test_a_request_asks_each_peer_with_two_buttons_and_schedules_one_reminder_in_their_own_zone() -> None:
    result = ask(request_context(), '@grace @linus about "Q4 launch" and my manager', mentions=("g", "l"))
    ref = Ref(1, NOW)
    (change,) = result.changes
    assert change == FeedbackRequested(
        topic="Q4 launch",
        with_manager=True,
        closes_at=datetime(2027, 4, 9, 14, 0, tzinfo=UTC),  # 16:00 in Berlin two weeks on, in summer time
        asks=(
            PeerAsked(2, datetime(2027, 3, 31, 14, 0, tzinfo=UTC)),  # Wednesday 16:00 in Berlin
            PeerAsked(3, datetime(2027, 3, 31, 15, 0, tzinfo=UTC)),  # Wednesday 08:00 in Los Angeles
        ),
    )
    confirmation, to_grace, to_linus = result.outbound
    assert words(confirmation).startswith(
        "I asked Grace and Linus for feedback about Q4 launch. Their answers come to you and your manager, Sam;"
    )
    assert [(m.to_person_id, words(m)) for m in (to_grace, to_linus)] == [
        (2, "Ada asks for your feedback about Q4 launch. The request is open until Fri 9 Apr."),
        (3, "Ada asks for your feedback about Q4 launch. The request is open until Fri 9 Apr."),
    ]
    assert [(choice.label, choice.value) for choice in to_grace.choices] == [
        ("Give feedback", f"feedback.answer:{ref.value}"),
        ("Not this time", f"feedback.decline:{ref.value}"),
    ]


def test_ten_peers_may_be_asked_and_an_eleventh_is_refused_with_an_example() -> None:
    assert len(ask(request_context([peer(n) for n in range(MAX_PEERS)]), "@p about x", mentions=("p",)).outbound) == 11
    result = ask(request_context([peer(n) for n in range(MAX_PEERS + 1)]), "@p about x", mentions=("p",))
    assert result.changes == ()
    assert words(result.outbound[0]) == (
        'You can ask at most 10 people at once and named 11; ask fewer, for example /feedback request @grace @linus about "Q4 launch".'
    )


@pytest.mark.parametrize(
    ("context", "text", "expected"),
    [
        (request_context(()), "about Q4", "Whom should I ask? Mention up to 10 colleagues"),
        (
            request_context((GRACE, ADA_REF)),
            "@grace @ada",
            "You can't ask yourself for feedback; mention the colleagues to ask",
        ),
        (
            request_context((), unknown=[{"display_name": "zed", "platform_user_id": "zed"}]),
            "@zed",
            "I don't know zed in Cadence",
        ),
        (request_context(({**LINUS, "is_bot": True},)), "@linus", "Linus is a bot"),
        (request_context(({**LINUS, "active": False},)), "@linus", "Linus is no longer active here"),
        (request_context(), "@grace " + '"' + "t" * 201 + '"', "The topic is 201 characters; keep it to 200"),
        (
            request_context(manager=None),
            "@grace and my manager",
            "You have no manager in Cadence to share the answers with",
        ),
    ],
    ids=["nobody", "oneself among them", "a stranger", "a bot", "someone who left", "a long topic", "no manager"],
)
def test_a_bad_request_gets_one_sentence_with_an_example_and_nobody_is_asked(context, text, expected) -> None:
    result = ask(context, text, mentions=("x",) if "@" in text else ())
    (answer,) = result.outbound
    assert result.changes == () and answer.private
    sentence = words(answer)
    assert sentence.startswith(expected) and "for example" in sentence and "\n" not in sentence


def test_the_request_alone_opens_a_form_with_people_topic_and_audience() -> None:
    (opened,) = ask(request_context()).outbound
    assert [field.id for field in opened.form.fields] == ["people", "topic", "audience"]
    assert [choice.label for choice in opened.form.fields[2].options] == ["Just me", "Me and my manager, Sam"]
    assert opened.form.fields[1].max_length == 200
    (no_manager,) = ask(request_context(manager=None)).outbound
    assert [field.id for field in no_manager.form.fields] == ["people", "topic"]


def test_the_request_form_submitted_asks_the_peers_and_its_problems_show_under_their_field() -> None:
    good = ask(
        request_context(),
        form_id="feedback_request.form",
        form={"people": ["g"], "topic": " Q4  launch ", "audience": "me"},
    )
    assert good.changes[0].topic == "Q4 launch" and good.changes[0].with_manager is False
    bad = ask(request_context(()), form_id="feedback_request.form", form={"people": [], "topic": "", "audience": "me"})
    assert list(form_errors(bad)) == ["people"]
    stale = {"people": ["g"], "topic": "", "audience": "me_and_manager"}  # the manager left while it was open
    assert list(form_errors(ask(request_context(manager=None), form_id="feedback_request.form", form=stale))) == [
        "audience"
    ]


def answer_context(status: str = "open", with_manager: bool = True) -> State:
    request = {
        "ref": Ref(2, NOW - timedelta(days=2)).value,
        "requester": GRACE,
        "topic": "Q4 launch",
        "with_manager": with_manager,
        "closes_on": "Fri 9 Apr",
        "status": status,
    }
    return give_context((), readers=[GRACE, SAM] if with_manager else [GRACE], request=request)


def test_give_feedback_on_a_request_opens_the_form_for_the_requester_with_the_topic_and_its_readers() -> None:
    value = f"feedback.answer:{Ref(2, NOW - timedelta(days=2)).value}"
    (opened,) = step(answer_context(), choice=value).outbound
    assert opened.form.id == value and [field.id for field in opened.form.fields] == [
        "went_well",
        "could_be_better",
        "theme",
    ]
    assert opened.form.fields[0].hint.startswith(
        "Grace asked for your feedback about Q4 launch; Grace and Sam will read it."
    )
    result = step(answer_context(), form_id=value, form={"went_well": "Clear plan.", "could_be_better": ""})
    assert result.changes == (FeedbackGiven(2, "Clear plan.", "", None, None, True, Ref(2, NOW - timedelta(days=2))),)
    sent, received, copy = result.outbound
    assert words(sent) == "Your feedback is on its way to Grace. Grace and Sam will see it, and you, who wrote it."
    assert received.to_person_id == 2 and received.choices[0].label == "Thanks 🙏"
    assert words(received).startswith("💬 Ada answered your request for feedback about Q4 launch:")
    assert copy.to_person_id == 9 and "Grace shared the answers with you" in words(copy)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("answered", "You already answered Grace's request about Q4 launch; thank you!"),
        ("closed", "Grace's request closed on Fri 9 Apr; you can still give them feedback with /feedback give."),
    ],
)
def test_answering_twice_or_after_the_request_closed_is_told_in_one_sentence(status, expected) -> None:
    value = f"feedback.answer:{Ref(2, NOW - timedelta(days=2)).value}"
    assert [words(m) for m in step(answer_context(status), choice=value).outbound] == [expected]
    late = step(answer_context(status), form_id=value, form={"went_well": "Clear plan."})
    assert form_errors(late) == {"went_well": expected}
    assert [words(m) for m in step(answer_context(status), choice=value.replace("answer", "decline")).outbound] == [
        expected
    ]


def test_a_request_one_was_never_asked_is_told_so() -> None:
    result = step(give_context((), request=None), choice="feedback.answer:2:1")
    assert words(result.outbound[0]).startswith("That request isn't one you were asked")


def test_not_this_time_declines_once_and_tells_the_requester_nothing() -> None:
    value = f"feedback.decline:{Ref(2, NOW - timedelta(days=2)).value}"
    result = step(answer_context(), choice=value)
    assert result.changes == (AskDeclined(Ref(2, NOW - timedelta(days=2))),)
    (note,) = result.outbound
    assert note.to_person_id is None and note.private
    assert words(note) == "Noted: not this time. Grace won't be told who said so."
    again = step(answer_context("declined"), choice=value)
    assert again.changes == () and words(again.outbound[0]).startswith("You already said not this time")
    changed_mind = step(answer_context("declined"), choice=value.replace("decline", "answer"))
    assert changed_mind.outbound[0].form is not None, "a peer who declined may still answer while it is open"


def test_the_list_has_a_give_feedback_button_for_each_waiting_request_and_refuses_what_it_doesnt_know() -> None:
    waiting = [{"ref": "2:5", "requester": GRACE, "topic": "Q4", "asked_on": "Fri 26 Mar", "closes_on": "Fri 9 Apr"}]
    mine = [
        {
            "ref": "1:7",
            "topic": "Offsite",
            "asked": 3,
            "answered": [GRACE, LINUS],
            "created_on": "x",
            "closes_on": "Tue 6 Apr",
        }
    ]
    state = State("feedback_list", "show", {"waiting": waiting, "mine": mine, "received": 4, "quarter": "Q1 2027"})
    flow = FeedbackListFlow(LABELS)
    inbound = Inbound(Platform.SHELL, "1", "ada@acme.test", "dm", command="feedback", actor=ADA)
    (listing,) = flow.step(state, inbound, NOW).outbound
    assert [(choice.label, choice.value) for choice in listing.choices] == [
        ("Give feedback to Grace", "feedback.answer:2:5"),
        ("Give feedback", "feedback.give"),
        ("Ask for feedback", "command:feedback request"),
    ]
    text = words(listing)
    assert "• Grace about Q4 · open until Fri 9 Apr" in text
    assert "• Offsite · 2 of 3 answered: Grace and Linus · open until Tue 6 Apr" in text
    assert "4 pieces of feedback so far in Q1 2027." in text
    (usage,) = flow.step(
        state, Inbound(Platform.SHELL, "1", "a", "dm", command="feedback", text="gimme", actor=ADA), NOW
    ).outbound
    assert words(usage).startswith('I don\'t understand "gimme"; try /feedback give @grace')


def test_the_reminder_comes_three_working_days_later_at_the_same_clock_time_across_the_switch_to_summer_time() -> None:
    friday_four_pm_berlin = datetime(2027, 3, 26, 15, 0, tzinfo=UTC)  # CET, UTC+1; clocks go forward on Sunday 28
    assert reminder_at(friday_four_pm_berlin, "Europe/Berlin", 3, ()) == datetime(2027, 3, 31, 14, 0, tzinfo=UTC)
    assert reminder_at(friday_four_pm_berlin, "America/Los_Angeles", 3, ()) == datetime(2027, 3, 31, 15, 0, tzinfo=UTC)
    easter_monday = date(2027, 3, 29)
    assert reminder_at(friday_four_pm_berlin, "Europe/Berlin", 3, [easter_monday]) == datetime(
        2027, 4, 1, 14, 0, tzinfo=UTC
    )
    late_in_auckland = datetime(2027, 3, 26, 15, 0, tzinfo=UTC)  # Saturday 04:00 there: the working days start Monday
    assert reminder_at(late_in_auckland, "Pacific/Auckland", 1, ()) == datetime(2027, 3, 28, 15, 0, tzinfo=UTC)
    assert closing_at(friday_four_pm_berlin, "Europe/Berlin", 14) == datetime(2027, 4, 9, 14, 0, tzinfo=UTC)


def test_a_ref_names_the_instant_to_the_microsecond_and_anything_else_reads_as_nothing() -> None:
    at = datetime(2027, 3, 26, 15, 0, 1, 123456, tzinfo=UTC)
    assert Ref.read(Ref(7, at).value) == Ref(7, at)
    assert [Ref.read(text) for text in ("", "7", "x:1", "7:-1", "7:1.5")] == [None] * 5
