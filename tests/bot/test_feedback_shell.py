"""Feedback through the shell: giving it, the recipient's thanks, asking peers, one answering and
one declining, the list, and the request closing with who answered."""

from __future__ import annotations

import pytest

from tests.bot.cli_helpers import Cadence
from tests.bot.test_shell import transcript

pytestmark = pytest.mark.usefixtures("migrated_demo")  # the demo is these tests' world


def test_give_thank_request_answer_decline_and_list_in_the_shell(cadence: Cadence) -> None:
    lines = [
        "feedback give @lukas",
        "The importer rewrite was clean and well tested.",
        "",
        "1",
        "2",
        "/feedback give @sam",
        "feedback give @zed",
        "/as lukas",
        "Thanks 🙏",
        "Thanks 🙏",
        "Quote it in my snapshot",
        "snapshot",
        '/feedback request @priya @aroha @sam about "Q4 launch" and my manager',
        "/as priya",
        "feedback",
        "Give feedback to Lukas Weber (demo)",
        "Clear plan, calm under questions.",
        "Share the rollout dates sooner.",
        "",
        "Give feedback to Lukas Weber (demo)",
        "/as aroha",
        "Not this time",
        "/as lukas",
        "feedback list",
        "/time 2026-12-18T10:31",
    ]
    result = cadence("shell", "--demo", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result.err
    transcript(
        result.out,
        "Feedback for Lukas Weber (demo).",
        "What went well? (optional, press Enter to skip)",
        "For Lukas Weber (demo). Write this, the next one, or both; up to 2,000 characters each.",
        "[1] Craft · company value  [2] Customer first · company value  [3] Ownership · company value",
        "Who sees it? (press Enter to keep Lukas Weber (demo) only)",
        "[1] Lukas Weber (demo) only  [2] Lukas Weber (demo) and their manager",
        "Your feedback is on its way to Lukas Weber (demo). Only Lukas Weber (demo) will see it, and you, who wrote it.",
        "--- to Lukas Weber (demo) ---\n💬 Sam Okafor (demo) gave you feedback:",
        "> The importer rewrite was clean and well tested.",
        "About: Craft",
        "[1] Thanks 🙏  [2] Quote it in my snapshot",
        "Feedback is for someone else; to hear how you're doing, ask your peers with",
        "I don't know zed in Cadence; name someone in your organisation, for example /feedback give @grace.",
        "You are now Lukas Weber (demo)",
        "Thanks sent to Sam Okafor (demo).",
        "--- to Sam Okafor (demo) ---\n🙏 Lukas Weber (demo) thanked you for your feedback.",
        "You already thanked Sam Okafor (demo) for this feedback.",
        "Done: your quarterly snapshot will quote this feedback from Sam Okafor (demo).",
        "Lukas Weber (demo) · 2026-Q4",
        "Feedback: 1 received · values: Craft 1",
        "> The importer rewrite was clean and well tested.\n— Sam Okafor (demo)",
        "I asked Priya Nair (demo), Aroha Ngata (demo) and Sam Okafor (demo) for feedback about Q4 launch. "
        "Their answers come to you and your manager, Sam Okafor (demo); the request is open until Fri 18 Dec.",
        "--- to Priya Nair (demo) ---\nLukas Weber (demo) asks for your feedback about Q4 launch. "
        "The request is open until Fri 18 Dec.",
        "[1] Give feedback  [2] Not this time",
        "--- to Aroha Ngata (demo) ---\nLukas Weber (demo) asks for your feedback about Q4 launch. "
        "The request is open until Fri 18 Dec.",
        "You are now Priya Nair (demo)",
        "Waiting for your answer\n• Lukas Weber (demo) about Q4 launch · open until Fri 18 Dec",
        "[1] Give feedback to Lukas Weber (demo)  [2] Give feedback  [3] Ask for feedback",
        "Lukas Weber (demo) asked for your feedback about Q4 launch; Lukas Weber (demo) and Sam Okafor (demo) will read it.",
        "Your feedback is on its way to Lukas Weber (demo). Lukas Weber (demo) and Sam Okafor (demo) will see it",
        "--- to Lukas Weber (demo) ---\n💬 Priya Nair (demo) answered your request for feedback about Q4 launch:",
        "> Clear plan, calm under questions.",
        "> Share the rollout dates sooner.",
        "--- to Sam Okafor (demo) ---\n💬 Priya Nair (demo) answered Lukas Weber (demo)'s request for feedback about "
        "Q4 launch; Lukas Weber (demo) shared the answers with you, their manager:",
        "You already answered Lukas Weber (demo)'s request about Q4 launch; thank you!",
        "You are now Aroha Ngata (demo)",
        "Noted: not this time. Lukas Weber (demo) won't be told who said so.",
        "You are now Lukas Weber (demo)",
        "Your open requests\n• Q4 launch · 1 of 3 answered: Priya Nair (demo) · open until Fri 18 Dec",
        "Received this quarter\n2 pieces of feedback so far in 2026-Q4.",
        "Clock set to Fri 2026-12-18 10:31 Europe/Berlin.",
        "Your request for feedback about Q4 launch has closed: 1 of 3 answered: Priya Nair (demo).",
    )
    assert "Aroha" not in result.out.split("Your request for feedback about Q4 launch has closed")[1].split("\n")[0]
