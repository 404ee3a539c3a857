"""Goals and key results as pure flows: list, create, update, show, close, set status.

The storage context loads the goals a person may see or edit (with the permission rules in
``storage/privacy.py``), the next short ids and the parents they may align to; the flows check
what was typed or submitted and decide. Problems are codes worded by ``goal_problem``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from conversations.checkin_answers import key_result_value_field, parse_key_result_update
from conversations.flow import Change, State, StepResult, reply
from conversations.goal_progress import parse_key_result_line, parse_period
from conversations.messages import FORM_ERRORS, Choice, FieldKind, Form, FormField, Inbound, Outbound
from conversations.numbers import parse_measure, small_int
from conversations.words import Labels

LEVELS = ("person", "team", "company")
CLOSING_STATES = ("achieved", "missed", "dropped")
CLOSING_WORDS = {
    **{state: state for state in CLOSING_STATES},
    "done": "achieved",
    "complete": "achieved",
    "completed": "achieved",
    "met": "achieved",
    "hit": "achieved",
    "reached": "achieved",
    "failed": "missed",
    "not-met": "missed",
    "cancelled": "dropped",
    "canceled": "dropped",
    "abandoned": "dropped",
}
STATUS_WORDS = {"on-track": "on_track", "at-risk": "at_risk", "off-track": "off_track", "auto": None}
STATUS_SPELLINGS = {
    **{spelling: health for word, health in STATUS_WORDS.items() for spelling in (word, word.replace("-", "_"))},
    "on track": "on_track",
    "at risk": "at_risk",
    "off track": "off_track",
    "atrisk": "at_risk",
    "ontrack": "on_track",
    "offtrack": "off_track",
    "computed": None,
    "reset": None,
}
_REF = re.compile(r"^(G|KR)-([0-9]{1,9})$", re.IGNORECASE)


@dataclass(frozen=True)
class GoalCreated(Change):
    number: int
    level: str
    title: str
    description: str
    kind: str
    period: str
    starts_on: date
    ends_on: date
    parent_id: int | None
    team_id: int | None
    key_results: tuple[Mapping[str, Any], ...]
    skill: str | None = None  # a growth goal's skill


@dataclass(frozen=True)
class KeyResultUpdated(Change):
    key_result_id: int
    value: float | None
    confidence: int | None
    comment: str


@dataclass(frozen=True)
class GoalClosed(Change):
    goal_id: int
    state: str


@dataclass(frozen=True)
class GoalStatusSet(Change):
    goal_id: int
    health: str | None
    reason: str


def parse_ref(text: str) -> tuple[str, int] | None:
    """``G-12`` → ("G", 12); ``kr-34`` → ("KR", 34)."""
    match = _REF.match(text.strip())
    return (match.group(1).upper(), int(match.group(2))) if match else None


def problem(code: str, **values: Any) -> Outbound:
    return Outbound("goal_problem", {"code": code, **values}, private=True)


def read_status(words: Sequence[str]) -> tuple[str | None, int] | None:
    """The status the words start with (``at risk``, ``at-risk``, ``auto``) and how many words it took."""
    lowered = [word.lower() for word in words]
    for length in (2, 1):
        phrase = " ".join(lowered[:length])
        if len(lowered) >= length and phrase in STATUS_SPELLINGS:
            return STATUS_SPELLINGS[phrase], length
    return None


@dataclass(frozen=True)
class GoalReopened(Change):
    goal_id: int


def goal_form_problems(
    context: Mapping[str, Any], values: Mapping[str, Any], today: date
) -> tuple[dict[str, dict], dict[str, Any]]:
    """Check a new-goal form; returns (problems by field, the cleaned goal)."""
    problems: dict[str, dict] = {}
    title = " ".join(str(values.get("title") or "").split())
    if not title or len(title) > 300:
        problems["title"] = {"code": "title", "limit": 300}
    level = str(values.get("level") or "person")
    if level not in context["levels"]:
        problems["level"] = {"code": "level", "allowed": list(context["levels"])}
    period = parse_period(str(values.get("period") or context["period_default"]))
    if period is None:
        problems["period"] = {"code": "period", "text": str(values.get("period") or "")}
    elif period[2] < today:
        problems["period"] = {"code": "period_ended", "period": period[0], "ended": period[2]}
    parents = {str(parent["id"]): parent for parent in context["parents"]}
    parent = parents.get(str(values.get("parent") or ""))
    if values.get("parent") and parent is None:
        problems["parent"] = {"code": "unknown_goal", "ref": str(values.get("parent"))}
    elif parent is not None and period is not None and parent["period"] != period[0]:
        problems["parent"] = {
            "code": "parent_period",
            "parent": parent["ref"],
            "parent_period": parent["period"],
            "period": period[0],
        }
    key_results = []
    lines = [piece for line in str(values.get("key_results") or "").splitlines() for piece in line.split(";")]
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = parse_key_result_line(line)
        if parsed is None:
            problems["key_results"] = {"code": "key_result_line", "line": line_number, "text": line.strip()}
            break
        if parsed["metric"] != "boolean" and parsed["target"] == parsed["start"]:
            problems["key_results"] = {"code": "target_equals_start", "line": line_number, "title": parsed["title"]}
            break
        key_results.append(parsed)
    goal = {
        "title": title,
        "level": level,
        "period": period,
        "parent_id": parent["id"] if parent else None,
        "key_results": key_results,
        "description": str(values.get("description") or "").strip(),
        "kind": str(values.get("kind") or "business"),
        "skill": None,
    }
    skill = str(values.get("skill") or "").strip()
    if skill:
        listed = [item["slug"] for item in context.get("skills", ())]
        if skill not in listed:
            problems.setdefault("skill", {"code": "unknown_skill", "skill": skill, "listed": listed})
        else:  # a goal that grows a skill is a growth goal, whatever else it is
            goal.update(kind="growth", skill=skill)
    return problems, goal


@dataclass
class GoalNewFlow:
    labels: Labels
    name: ClassVar[str] = "goal_new"
    commands: ClassVar[tuple[str, ...]] = ("goal new",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        context = state.data
        today = date.fromisoformat(context["today"])
        if inbound.form_id is None:
            return StepResult(outbound=(Outbound("goal_form", {}, form=self.form(context)),))
        problems, goal = goal_form_problems(context, inbound.form or {}, today)
        if problems:
            return StepResult(outbound=(Outbound(FORM_ERRORS, {"template": "goal_problem", "errors": problems}),))
        name, starts_on, ends_on = goal["period"]
        first_kr = context["next_key_result_number"]
        key_results = tuple({**kr, "number": first_kr + index} for index, kr in enumerate(goal["key_results"]))
        change = GoalCreated(
            number=context["next_goal_number"],
            level=goal["level"],
            title=goal["title"],
            description=goal["description"],
            kind=goal["kind"],
            period=name,
            starts_on=starts_on,
            ends_on=ends_on,
            parent_id=goal["parent_id"],
            team_id=context.get("team_id") if goal["level"] == "team" else None,
            key_results=key_results,
            skill=goal["skill"],
        )
        created = {
            "ref": f"G-{change.number}",
            "title": change.title,
            "period": name,
            "key_results": [f"KR-{kr['number']} {kr['title']}" for kr in key_results],
        }
        return StepResult(outbound=(Outbound("goal_created", created),), changes=(change,))

    def form(self, context: Mapping[str, Any]) -> Form:
        levels = tuple(Choice(self.labels(f"goal_level_{level}"), level) for level in context["levels"])
        parents = tuple(
            Choice(f"{parent['ref']} {parent['title']}"[:75], str(parent["id"])) for parent in context["parents"][:100]
        )
        fields = [
            FormField("title", self.labels("goal_title"), FieldKind.TEXT, True, max_length=300),
            FormField("level", self.labels("goal_level"), FieldKind.SINGLE_CHOICE, True, levels, initial="person"),
        ]
        if parents:
            fields.append(FormField("parent", self.labels("goal_parent"), FieldKind.SINGLE_CHOICE, False, parents))
        fields += [
            FormField(
                "period",
                self.labels("goal_period"),
                FieldKind.TEXT,
                True,
                initial=context["period_default"],
                max_length=8,
            ),
            FormField(
                "key_results",
                self.labels("goal_key_results"),
                FieldKind.LONG_TEXT,
                False,
                hint=self.labels("goal_key_results_hint"),
            ),
        ]
        skills = tuple(Choice(skill["label"], skill["slug"]) for skill in context.get("skills", ()))
        if skills:  # last: a goal is a goal first, and perhaps also grows a skill
            fields.append(FormField("skill", self.labels("goal_skill"), FieldKind.SINGLE_CHOICE, False, skills))
        return Form(
            id="goal_new.form",
            title=self.labels("goal_new_title"),
            fields=tuple(fields),
            submit_label=self.labels("goal_create"),
        )


@dataclass
class GoalUpdateFlow:
    """``/goal update`` opens a form with each of my key results; ``/goal update KR-34 45 "note"`` is quick."""

    labels: Labels
    name: ClassVar[str] = "goal_update"
    commands: ClassVar[tuple[str, ...]] = ("goal update",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        context = state.data
        if inbound.form_id is not None:
            return self.from_form(context, inbound.form or {})
        if not inbound.text.strip():
            if not context["mine"]:
                return StepResult(outbound=(problem("no_key_results"),))
            return StepResult(outbound=(Outbound("goal_update_form", {}, form=self.form(context)),))
        return self.quick(context, inbound.text)

    def quick(self, context: Mapping[str, Any], text: str) -> StepResult:
        """``KR-34 45``, ``KR-34 380 ms, confidence 4, "shipped the beta"``: read like a check-in's answer."""
        ref_text, _, rest = text.strip().partition(" ")
        ref = parse_ref(ref_text)
        if ref is None or ref[0] != "KR" or not rest.strip():
            return StepResult(outbound=(problem("update_usage"),))
        target = context.get("target")
        if target is None:
            return StepResult(outbound=(problem("unknown_key_result", ref=ref_text.upper()),))
        if target["goal_state"] != "open":
            return StepResult(outbound=(problem("closed_goal", ref=target["goal_ref"], state=target["goal_state"]),))
        if not target["can_edit"]:
            return StepResult(outbound=(problem("not_allowed", ref=target["ref"]),))
        parsed = parse_key_result_update(target, rest)
        if not parsed.ok or parsed.value is None:
            return StepResult(
                outbound=(problem("not_a_number", text=rest.strip(), ref=target["ref"], kr=dict(target)),)
            )
        update = parsed.value
        value = update["value"]
        change = KeyResultUpdated(target["id"], value, update["confidence"], update["comment"])
        shown = {**target, "new": value if value is not None else target["current"]}
        return StepResult(outbound=(Outbound("goal_updated", {"updates": [shown]}),), changes=(change,))

    def form(self, context: Mapping[str, Any]) -> Form:
        fields = []
        for kr in context["mine"]:
            label = self.labels("kr_value", kr=kr)
            confidence = tuple(Choice(str(n), str(n)) for n in range(1, 6))
            fields += [
                key_result_value_field(f"{kr['id']}.value", label, kr, kr["current"]),
                FormField(
                    f"{kr['id']}.confidence",
                    self.labels("kr_confidence", kr=kr),
                    FieldKind.SINGLE_CHOICE,
                    False,
                    confidence,
                ),
                FormField(
                    f"{kr['id']}.comment", self.labels("kr_comment", kr=kr), FieldKind.TEXT, False, max_length=500
                ),
            ]
        return Form(
            id="goal_update.form",
            title=self.labels("goal_update_title"),
            fields=tuple(fields[:99]),
            submit_label=self.labels("goal_save"),
        )

    def from_form(self, context: Mapping[str, Any], values: Mapping[str, Any]) -> StepResult:
        problems: dict[str, dict] = {}
        changes: list[Change] = []
        shown = []
        for kr in context["mine"]:
            raw_value = values.get(f"{kr['id']}.value")
            raw_confidence = values.get(f"{kr['id']}.confidence")
            comment = str(values.get(f"{kr['id']}.comment") or "").strip()
            value = None
            if raw_value not in (None, ""):
                value = parse_measure(str(raw_value), kr.get("unit") or "", kr["metric"])
                if value is None:
                    problems[f"{kr['id']}.value"] = {"code": "not_a_number", "text": str(raw_value), "ref": kr["ref"]}
                    continue
            confidence = small_int(str(raw_confidence or ""), 1)
            if confidence is not None and not 1 <= confidence <= 5:
                confidence = None
            if value == kr["current"]:
                value = None
            if value is None and confidence is None and not comment:
                continue
            changes.append(KeyResultUpdated(kr["id"], value, confidence, comment))
            shown.append({**kr, "new": value if value is not None else kr["current"]})
        if problems:
            return StepResult(outbound=(Outbound(FORM_ERRORS, {"template": "goal_problem", "errors": problems}),))
        return StepResult(outbound=(Outbound("goal_updated", {"updates": shown}),), changes=tuple(changes))


def _goal_target(
    context: Mapping[str, Any], text: str, usage: str, *, hidden_as_unknown: bool = True
) -> tuple[Mapping[str, Any] | None, Outbound | None, list[str]]:
    """The goal a command names first. One the person may not see is, to them, no goal at all
    (``hidden_as_unknown``): whether it is open or closed is nobody else's business."""
    words = text.split()
    ref = parse_ref(words[0]) if words else None
    if ref is None or ref[0] != "G":
        return None, problem(usage), words
    goal = context.get("target")
    if goal is None or (hidden_as_unknown and not context.get("visible", True)):
        return None, problem("unknown_goal", ref=words[0].upper()), words
    return goal, None, words


class GoalCloseFlow:
    """``/goal close G-12 done``: achieved (or done), missed or dropped."""

    name: ClassVar[str] = "goal_close"
    commands: ClassVar[tuple[str, ...]] = ("goal close",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        goal, wrong, words = _goal_target(state.data, inbound.text, "close_usage")
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        assert goal is not None
        word = words[1].lower().strip(".!") if len(words) > 1 else ""
        outcome = CLOSING_WORDS.get(word) or CLOSING_WORDS.get("-".join(w.lower() for w in words[1:3]))
        if outcome is None:
            return StepResult(outbound=(problem("close_usage", ref=goal["ref"], word=word),))
        if goal["state"] != "open":
            return StepResult(outbound=(problem("closed_goal", ref=goal["ref"], state=goal["state"]),))
        if not goal["can_edit"]:
            return StepResult(outbound=(problem("not_allowed", ref=goal["ref"]),))
        return StepResult(
            outbound=(Outbound("goal_closed", {"goal": goal, "state": outcome}),),
            changes=(GoalClosed(goal["id"], outcome),),
        )


class GoalReopenFlow:
    """``/goal reopen G-12``: a goal closed by mistake, or one that came back, is open again."""

    name: ClassVar[str] = "goal_reopen"
    commands: ClassVar[tuple[str, ...]] = ("goal reopen",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        goal, wrong, _ = _goal_target(state.data, inbound.text, "reopen_usage")
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        assert goal is not None
        if goal["state"] == "open":
            return StepResult(outbound=(problem("already_open", ref=goal["ref"]),))
        if not goal["can_edit"]:
            return StepResult(outbound=(problem("not_allowed", ref=goal["ref"]),))
        return StepResult(
            outbound=(Outbound("goal_reopened", {"goal": goal, "was": goal["state"]}),),
            changes=(GoalReopened(goal["id"]),),
        )


class GoalStatusFlow:
    """``/goal status G-12 at risk waiting on legal`` overrides the computed status; ``auto`` returns to it."""

    name: ClassVar[str] = "goal_status"
    commands: ClassVar[tuple[str, ...]] = ("goal status",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        goal, wrong, words = _goal_target(state.data, inbound.text, "status_usage")
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        assert goal is not None
        status = read_status(words[1:])
        if status is None:
            return StepResult(outbound=(problem("status_usage", word=" ".join(words[1:3])),))
        health, length = status
        reason = " ".join(words[1 + length :]).strip()
        if health is not None and not reason:
            return StepResult(outbound=(problem("status_reason", ref=goal["ref"]),))
        if goal["state"] != "open":
            return StepResult(outbound=(problem("closed_goal", ref=goal["ref"], state=goal["state"]),))
        if not goal["can_edit"]:
            return StepResult(outbound=(problem("not_allowed", ref=goal["ref"]),))
        change = GoalStatusSet(goal["id"], health, reason)
        return StepResult(
            outbound=(Outbound("goal_status_set", {"goal": goal, "health": health or "", "reason": reason}),),
            changes=(change,),
        )


def flatten(node: Mapping[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    """A goal tree as the list a reader scans: each goal with its depth, children after their parent."""
    rows = [{**{key: value for key, value in node.items() if key != "children"}, "depth": depth}]
    for child in node.get("children", ()):
        rows.extend(flatten(child, depth + 1))
    return rows


class GoalShowFlow:
    name: ClassVar[str] = "goal_show"
    commands: ClassVar[tuple[str, ...]] = ("goal show",)
    keywords: ClassVar[tuple[str, ...]] = ()
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        goal, wrong, _ = _goal_target(state.data, inbound.text, "show_usage", hidden_as_unknown=False)
        if wrong is not None:
            return StepResult(outbound=(wrong,))
        if not state.data.get("visible", True):
            return StepResult(outbound=(problem("not_visible", ref=goal["ref"]),))
        return reply("goal_tree", goal=goal, nodes=flatten(goal))


class GoalListFlow:
    name: ClassVar[str] = "goal_list"
    commands: ClassVar[tuple[str, ...]] = ("goal",)
    keywords: ClassVar[tuple[str, ...]] = ("goals", "my goals")
    stateless: ClassVar[bool] = True

    def step(self, state: State | None, inbound: Inbound, now: datetime) -> StepResult:
        assert state is not None
        if inbound.text.strip():
            return StepResult(outbound=(problem("goal_usage", word=inbound.text.split()[0]),))
        data: dict[str, Sequence[Any]] = dict(state.data)
        return reply("goal_list", **data)
