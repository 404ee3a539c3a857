"""Outbound messages as terminal text: words, then choices as numbered options."""

from __future__ import annotations

from conversations.messages import Choice, Outbound
from conversations.numbers import small_int
from conversations.words import Words


def render_text(words: Words, message: Outbound) -> str:
    rendered = words.render(message.kind, message.data)
    lines = [rendered.title] if rendered.title else []
    if rendered.body:
        lines.append(rendered.body)
    if message.choices:
        lines.append(numbered(message.choices))
    if message.choice_set is not None:  # ticked together: typed as numbers with commas
        options = "   ".join(f"{index}) {option.label}" for index, option in enumerate(message.choice_set.options, 1))
        lines.append(f"{options}\n(type the numbers of all that apply, with commas, like 1, 3)")
    if message.form is not None:
        lines.append(f"[form: {message.form.title}: answer each field below]")
    return "\n".join(lines)


def numbered(choices: tuple[Choice, ...]) -> str:
    return "  ".join(f"[{index}] {choice.label}" for index, choice in enumerate(choices, start=1))


def pick(choices: tuple[Choice, ...], answer: str) -> Choice | None:
    """The choice a typed answer means: its number or its label, case-insensitive."""
    text = answer.strip()
    number = small_int(text, 3)
    if number is not None and 1 <= number <= len(choices):
        return choices[number - 1]
    return next((choice for choice in choices if choice.label.lower() == text.lower()), None)
