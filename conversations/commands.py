"""Reading what a person typed as a command, and guessing what they meant when it isn't one.

Slack's slash commands arrive split into a command and its text, but everywhere else (a direct
message, a Teams chat, the shell) people type whole lines: ``kudos @sam for the release``,
``/goal update KR-3 40``, ``checkin away next week``. The engine reads the leading word of such a
line here, so a typed command does exactly what the slash command does on every platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ALIASES = {
    "goals": "goal",
    "check-in": "checkin",
    "checkins": "checkin",
    "?": "help",
    "1:1": "1on1",
    "one-on-one": "1on1",
    "1-on-1": "1on1",
}
"""Words people type for a command that is spelled differently."""


TYPED_MENTION = re.compile(
    r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)|(?<![\w@.+-])([\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
)
"""A person named in typed text where the platform has no mentions of its own (the shell, a Teams
chat): ``@priya``, ``@priya.nair``, ``@priya.nair@demo.example`` or a bare email."""


def typed_handles(text: str) -> list[str]:
    """The handles typed in ``text``, in order, without their ``@``."""
    return [match.group(1) or match.group(2) for match in TYPED_MENTION.finditer(text)]


@dataclass(frozen=True)
class TypedCommand:
    """A command read from a typed line: ``command`` without its slash, ``text`` its arguments."""

    command: str
    text: str
    slashed: bool = False  # typed with a leading slash, which makes it a command even mid-conversation


def read_command(line: str, commands: Iterable[str]) -> TypedCommand | None:
    """The command a typed line starts with (``/kudos @a for x`` or ``kudos @a for x``), if it names one."""
    stripped = line.strip()
    slashed = stripped.startswith("/")
    first, _, rest = stripped.removeprefix("/").partition(" ")
    word = first.lower()
    word = ALIASES.get(word, word)
    if word and word in set(commands):
        return TypedCommand(word, rest.strip(), slashed)
    return None


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` is most likely a typo of (``chekin`` → ``checkin``, ``shwo`` → ``show``),
    or None: one slip (a letter missing, extra, wrong or two swapped) in a short word, two in a long one.
    Words under three letters are never guessed at: ``to`` is not a typo of ``top``."""
    word = word.strip().lower().removeprefix("/")
    if len(word) < 3:
        return None
    allowed = 1 if len(word) <= 5 else 2
    scored = sorted((typo_distance(word, candidate), candidate) for candidate in set(candidates) if candidate != word)
    return scored[0][1] if scored and scored[0][0] <= allowed else None


def typo_distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b`` counting a swap of neighbours as one (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
