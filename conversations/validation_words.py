"""Problems in files people write by hand (settings, goals), in Cadence's own words.

pydantic says what its parser expected ("Input should be a valid tuple"); someone editing a YAML
file needs to hear what to write instead. Each error type the settings and goal models can produce
has a sentence here, built from the error's ``ctx``, the value that was written and what the model
says about that place (its allowed keys, its bounds, an example). An error type nobody foresaw
still gets a plain sentence, never the library's.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from conversations.numbers import plural

KeyPath = tuple[str | int, ...]

RULE_ERROR = "cadence_rule"
"""The pydantic error type of a rule that spans several fields (raise ``PydanticCustomError``
with it); the message is already ours and the rule is checked again on the raw file."""


@dataclass(frozen=True)
class SettingError:
    """One problem in a file: where (a path of keys and list positions) and what to change."""

    path: KeyPath
    message: str

    @property
    def where(self) -> str:
        return ".".join(str(part) for part in self.path) or "(top level)"


def closest(word: object, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was most likely meant to be (ignoring case), if any is close enough."""
    by_lowered = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(str(word).lower(), list(by_lowered), n=1, cutoff=0.6)
    return by_lowered[found[0]] if found else None


def one_of(choices: Sequence[str]) -> str:
    """``a, b or c``: choices as a sentence reads them."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def unknown_team(name: object, known_teams: Collection[str]) -> str:
    """Settings and goals name teams the same way, so they refuse an unknown one the same way."""
    if not known_teams:
        return f'there is no team "{name}"; teams come from the org file, which names none yet; give people a team there first'
    guess = closest(name, known_teams)
    hint = f'did you mean "{guess}"?' if guess else "use one of those names"
    return f'there is no team "{name}"; teams come from the org file ({", ".join(sorted(known_teams))}); {hint}'


def repeats(items: Sequence[object]) -> list[int]:
    """Positions of items already seen earlier in the list (``None`` stands for unreadable items)."""
    seen: set[object] = set()
    found = []
    for index, item in enumerate(items):
        if item is None:
            continue
        if item in seen:
            found.append(index)
        seen.add(item)
    return found


@dataclass(frozen=True)
class Place:
    """What the model expects at one place of a document."""

    annotation: Any  # the type expected there; None when the place is unknown to the model
    field: FieldInfo | None  # when the place is a model field: its default and constraints
    name: str  # the key written there ("time"); "questions[]" for one item of the questions list

    @property
    def key(self) -> str:
        return self.name.removesuffix("[]")

    @property
    def is_item(self) -> bool:
        return self.name.endswith("[]")

    @property
    def model(self) -> type[BaseModel] | None:
        bare = _bare(self.annotation)
        return bare if isinstance(bare, type) and issubclass(bare, BaseModel) else None

    @property
    def fixed_length(self) -> int | None:
        """The length of a fixed tuple such as five mood labels; None for lists of any length."""
        bare = _bare(self.annotation)
        arguments = get_args(bare)
        if get_origin(bare) is tuple and arguments and arguments[-1] is not Ellipsis:
            return len(arguments)
        return None

    @property
    def noun(self) -> str:
        """What one item is called: "question" for an item of ``questions``."""
        key = self.key.replace("_", " ")
        return key.removesuffix("s") if self.is_item else key


def _bare(annotation: Any) -> Any:
    """The type under ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            others = [argument for argument in get_args(annotation) if argument is not type(None)]
            if len(others) != 1:
                return annotation
            annotation = others[0]
        else:
            return annotation


def place_of(root: type[BaseModel], loc: Sequence[str | int], root_name: str = "") -> Place:
    """Walk the model's types along ``loc`` (keys and list positions) to the place it names."""
    place = Place(root, None, root_name)
    for part in loc:
        bare = _bare(place.annotation)
        origin = get_origin(bare)
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            field = bare.model_fields.get(str(part))
            if field is None:
                return Place(None, None, str(part))
            place = Place(field.annotation, field, str(part))
        elif origin is dict:
            place = Place(get_args(bare)[1], None, f"{place.key}[]")
        elif origin in (list, tuple) and isinstance(part, int):
            arguments = get_args(bare)
            if origin is list or arguments[-1:] == (Ellipsis,):
                item = arguments[0]
            else:
                item = arguments[part] if part < len(arguments) else None
            place = Place(item, None, f"{place.key}[]")
        else:
            return Place(None, None, str(part))
    return place


def _shown(value: Any) -> str:
    """A value as the file wrote it, short enough for a one-line message."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:39] + "…"
        return f'"{text}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a group of keys"
    return "this value"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a group of keys"
    return "something else"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(place: Place) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for constraint in place.field.metadata if place.field else ():
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(constraint, getattr(annotated_types, name.capitalize())):
                found[name] = getattr(constraint, name)
    return found


def _number_kind(place: Place) -> str:
    return "a whole number" if _bare(place.annotation) is int else "a number"


def _wanted_number(place: Place) -> str:
    """What a numeric place takes, bounds included: "a whole number from 1 to 100"."""
    bounds = _bounds(place)
    if "ge" in bounds and "le" in bounds:
        return f"{_number_kind(place)} from {_number(bounds['ge'])} to {_number(bounds['le'])}"
    low = next(
        (
            f"{words} {_number(bounds[name])}"
            for name, words in (("ge", "of at least"), ("gt", "above"))
            if name in bounds
        ),
        "",
    )
    high = next(
        (f"{words} {_number(bounds[name])}" for name, words in (("le", "at most"), ("lt", "below")) if name in bounds),
        "",
    )
    return " ".join(part for part in (_number_kind(place), low, "and" if low and high else "", high) if part)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


@dataclass(frozen=True)
class Problem:
    """One pydantic error detail, with what the model says about its place."""

    error_type: str
    loc: KeyPath  # relative to the model the document was validated against
    value: Any
    ctx: Mapping[str, Any]
    place: Place
    container: Place  # the place that holds ``place`` (the question a missing ``text`` belongs in)
    examples: Mapping[str, str]
    key_noun: str

    @property
    def example(self) -> str | None:
        """The snippet for this place: for ``title`` in a key result, ``key_results[].title`` first."""
        for name in (f"{self.container.name}.{self.place.name}", self.place.name, self.place.key):
            if name in self.examples:
                return self.examples[name]
        return None

    def for_example(self, lead: str = "; for example ") -> str:
        return f"{lead}{self.example}" if self.example else ""


def _unknown_key(problem: Problem) -> str:
    model = problem.container.model
    allowed = sorted(model.model_fields) if model else []
    if not allowed:
        return f"unknown {problem.key_noun}; remove it"
    guess = closest(problem.loc[-1], allowed) if problem.loc else None
    hint = f' (did you mean "{guess}"?)' if guess else ""
    return f"unknown {problem.key_noun}{hint}; the {problem.key_noun}s allowed here are: {', '.join(allowed)}"


def _missing(problem: Problem) -> str:
    key = problem.place.key
    where = f"every {problem.container.noun} needs" if problem.container.is_item else "this needs"
    return f"missing; {where} {_article(key)}{problem.for_example(', for example ')}"


def _too_few_or_many(problem: Problem) -> str:
    """For fixed tuples (five mood labels) and lists with a length limit."""
    place = problem.place
    written = problem.ctx.get("actual_length", len(problem.value) if isinstance(problem.value, list | tuple) else 0)
    exactly = place.fixed_length
    if exactly is not None:
        wanted = f"exactly {plural(exactly, 'entry', 'entries')}"
    elif problem.error_type == "too_short":
        wanted = f"at least {plural(problem.ctx.get('min_length', 1), 'entry', 'entries')}"
    else:
        wanted = f"at most {plural(problem.ctx.get('max_length', 0), 'entry', 'entries')}"
    return f"{place.key} takes {wanted}, not {written}{problem.for_example()}"


def _no_value(problem: Problem) -> str:
    place = problem.place
    keep = f", or leave {place.key} out to keep its default" if place.field and not place.field.is_required() else ""
    subject = "this entry is" if place.is_item else f"{place.key} is"
    return f"{subject} empty; write a value{problem.for_example(', for example ')}{keep}"


def _holds_groups(place: Place) -> bool:
    """A list of mappings (questions, key results): wrapping one value in brackets won't do."""
    item = get_args(_bare(place.annotation))[:1]
    return bool(item) and Place(item[0], None, "").model is not None


def _wrong_kind(takes: str) -> Callable[[Problem], str]:
    def describe(problem: Problem) -> str:
        if problem.value is None:
            return _no_value(problem)
        shown, kind = _shown(problem.value), _kind_of(problem.value)
        if takes == "text" and isinstance(problem.value, int | float | bool | date):
            return f"{shown} is {kind}, but this takes text; write it in quotes{problem.for_example(', for example ')}"
        if takes == "a list" and not isinstance(problem.value, dict) and not _holds_groups(problem.place):
            key = problem.place.key
            return f"{key} takes a list, not {kind}; put the values in brackets, for example {key}: [{shown}]"
        written = shown if shown.startswith(("a ", "this")) else f"{shown} ({kind})"
        return f"this takes {takes}, not {written}{problem.for_example()}"

    return describe


def _not_a_number(problem: Problem) -> str:
    if problem.value is None:
        return _no_value(problem)
    shown, wanted = _shown(problem.value), _wanted_number(problem.place)
    return f"{shown} is not {_number_kind(problem.place)}; write {wanted}{problem.for_example(', for example ')}"


def _out_of_range(problem: Problem) -> str:
    return f"{_shown(problem.value)} is out of range; write {_wanted_number(problem.place)}"


def _not_a_boolean(problem: Problem) -> str:
    if problem.value is None:
        return _no_value(problem)
    return f"{_shown(problem.value)} is not true or false; write true or false, without quotes"


def _not_a_date(problem: Problem) -> str:
    if problem.value is None:
        return _no_value(problem)
    return f"{_shown(problem.value)} is not a date; write it as YYYY-MM-DD, for example 2026-12-25"


def _not_a_choice(problem: Problem) -> str:
    choices = re.findall(r"'([^']*)'", str(problem.ctx.get("expected", "")))
    if problem.value is None:
        return f"{problem.place.key} is empty; write one of {one_of(choices)}"
    guess = closest(problem.value, choices) if isinstance(problem.value, str) else None
    if guess:
        return f'{_shown(problem.value)} is not one of the choices ({", ".join(choices)}); did you mean "{guess}"?'
    return f"{_shown(problem.value)} is not one of the choices; write one of {one_of(choices)}"


def _too_short_text(problem: Problem) -> str:
    shortest = problem.ctx.get("min_length", 1)
    if shortest <= 1:
        subject = "this entry" if problem.place.is_item else problem.place.key
        return f"{subject} is empty; write some text{problem.for_example(', for example ')}"
    return f"this is too short; write at least {plural(shortest, 'character')}"


def _too_long_text(problem: Problem) -> str:
    longest = problem.ctx.get("max_length", 0)
    written = len(problem.value) if isinstance(problem.value, str) else 0
    return f"this is {plural(written, 'character')} long; shorten it to {plural(longest, 'character')} or fewer"


PATTERNS = {
    r"^[a-z][a-z0-9_]*$": (
        'start with a lowercase letter and use only lowercase letters, digits and underscores, like "next_week"'
    ),
}
"""What each ``pattern`` constraint of the models means, in words."""


def _pattern(problem: Problem) -> str:
    rule = PATTERNS.get(str(problem.ctx.get("pattern")), "see the documentation for the form it takes")
    return f"{_shown(problem.value)} can't be used as {_article(problem.place.key)}; {rule}"


def _our_own(problem: Problem) -> str:
    """Our validators' messages (``ValueError`` in a validator, or a rule) are already in our words."""
    error = problem.ctx.get("error") or problem.ctx.get("message")
    return str(error) if error else _fallback(problem)


def _fallback(problem: Problem) -> str:
    """For an error type this table doesn't know yet: still a plain sentence, never the library's."""
    where = problem.place.key or "this"
    return f"{_shown(problem.value)} can't be used for {where}; see the documentation for what it takes{problem.for_example(', for example ')}"


MESSAGES: dict[str, Callable[[Problem], str]] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing,
    "too_short": _too_few_or_many,
    "too_long": _too_few_or_many,
    "string_type": _wrong_kind("text"),
    "string_too_short": _too_short_text,
    "string_too_long": _too_long_text,
    "string_pattern_mismatch": _pattern,
    "literal_error": _not_a_choice,
    "bool_type": _not_a_boolean,
    "bool_parsing": _not_a_boolean,
    "int_type": _not_a_number,
    "int_parsing": _not_a_number,
    "int_from_float": _not_a_number,
    "int_parsing_size": _out_of_range,
    "float_type": _not_a_number,
    "float_parsing": _not_a_number,
    "finite_number": _not_a_number,
    "greater_than": _out_of_range,
    "greater_than_equal": _out_of_range,
    "less_than": _out_of_range,
    "less_than_equal": _out_of_range,
    "tuple_type": _wrong_kind("a list"),
    "list_type": _wrong_kind("a list"),
    "dict_type": _wrong_kind("a group of keys"),
    "model_type": _wrong_kind("a group of keys"),
    "model_attributes_type": _wrong_kind("a group of keys"),
    "date_type": _not_a_date,
    "date_parsing": _not_a_date,
    "date_from_datetime_parsing": _not_a_date,
    "date_from_datetime_inexact": _not_a_date,
    "value_error": _our_own,
    RULE_ERROR: _our_own,
}
"""One sentence per pydantic error type, keyed by the error's ``type``."""


def describe_errors(
    details: Iterable[Mapping[str, Any]],
    root: type[BaseModel],
    *,
    prefix: KeyPath = (),
    examples: Mapping[str, str] | None = None,
    key_noun: str = "setting",
    root_name: str = "",
) -> list[SettingError]:
    """pydantic's error details as our sentences, each at ``prefix`` + its key path.

    ``root`` is the model the document was validated against (for allowed keys, bounds and
    defaults), and ``root_name`` what the file calls it when it is one item of a list
    (``key_results[]``); ``examples`` maps a key (``key[]`` for one item of a list,
    ``key[].field`` for a field of one) to a snippet to copy. The same problem reported twice (a
    tuple missing three of five labels) is said once.
    """
    found: list[SettingError] = []
    for detail in details:
        loc: KeyPath = tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
        kind = str(detail["type"])
        value = detail.get("input")
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            name = loc[-1] if loc else value
            message = f'the name {_shown(name)} is {_kind_of(name)}; put it in quotes ("{name}") so it reads as a name'
            found.append(SettingError(prefix + loc, message))
            continue
        if kind == "missing" and loc and isinstance(loc[-1], int) and place_of(root, loc[:-1], root_name).fixed_length:
            loc, kind = loc[:-1], "too_short"  # "labels.3: Field required" means the list is too short
        problem = Problem(
            error_type=kind,
            loc=loc,
            value=value,
            ctx=detail.get("ctx") or {},
            place=place_of(root, loc, root_name),
            container=place_of(root, loc[:-1], root_name),
            examples=examples or {},
            key_noun=key_noun,
        )
        message = MESSAGES.get(kind, _fallback)(problem)
        error = SettingError(prefix + loc, message)
        if error not in found:
            found.append(error)
    return found
