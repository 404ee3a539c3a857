"""Words that steer a conversation instead of answering it: help, cancel, back, skip.

They work at every step of every multi-step conversation (and in the shell's forms), so nobody is
ever trapped in a question and no steering word is ever stored as an answer. The engine
recognises them; a flow decides what each means at its current step (python-telegram-bot's
"fallbacks", without every step having to know them).
"""

from __future__ import annotations

import enum


class Steer(enum.StrEnum):
    HELP = "help"  # what can I say here?
    CANCEL = "cancel"  # leave the conversation (a check-in keeps the answers given so far)
    BACK = "back"  # the previous question again
    SKIP = "skip"  # leave this question out, where it is optional


WORDS: dict[str, Steer] = {
    "help": Steer.HELP,
    "?": Steer.HELP,
    "help me": Steer.HELP,
    "what can i say": Steer.HELP,
    "cancel": Steer.CANCEL,
    "stop": Steer.CANCEL,
    "pause": Steer.CANCEL,
    "later": Steer.CANCEL,
    "not now": Steer.CANCEL,
    "quit": Steer.CANCEL,
    "exit": Steer.CANCEL,
    "back": Steer.BACK,
    "go back": Steer.BACK,
    "previous": Steer.BACK,
    "undo": Steer.BACK,
    "skip": Steer.SKIP,
    "skip it": Steer.SKIP,
    "pass": Steer.SKIP,
    "next": Steer.SKIP,
}


def steering_word(text: str | None) -> Steer | None:
    """The steering a typed line asks for (``Cancel!``, ``go back``), or None when it is an answer."""
    if not text:
        return None
    cleaned = " ".join(text.lower().strip().removeprefix("/").split())
    return WORDS.get(cleaned) or WORDS.get(cleaned.rstrip("!.?").rstrip())  # "Cancel!", "cancel !"
