"""The flows Cadence offers, in one list so every platform and the shell route the same commands."""

from __future__ import annotations

from conversations.checkin import CheckinFeedbackFlow, CheckinFlow, CheckinHistoryFlow, CheckinViewFlow
from conversations.fairness_view import FairnessFlow
from conversations.feedback import FeedbackFlow, FeedbackListFlow, FeedbackRequestFlow
from conversations.flow import Flow
from conversations.goals import (
    GoalCloseFlow,
    GoalListFlow,
    GoalNewFlow,
    GoalReopenFlow,
    GoalShowFlow,
    GoalStatusFlow,
    GoalUpdateFlow,
)
from conversations.help import HelpFlow
from conversations.home import HomeFlow
from conversations.kudos import KudosFlow, KudosReactionFlow, KudosStatsFlow, KudosTopFlow
from conversations.one_on_ones import OneOnOneFlow
from conversations.personal_data import ExportFlow, ForgetFlow
from conversations.privacy import PrivacyFlow
from conversations.settings_view import SettingsFlow
from conversations.snapshot import SnapshotFlow
from conversations.time_off import TimeOffFlow
from conversations.whoami import WhoamiFlow
from conversations.words import Labels


def all_flows(labels: Labels | None = None) -> tuple[Flow, ...]:
    labels = labels or Labels()
    return (
        HelpFlow(),
        WhoamiFlow(),
        PrivacyFlow(),
        ExportFlow(),
        ForgetFlow(labels),
        SnapshotFlow(),
        HomeFlow(labels),
        FairnessFlow(),
        SettingsFlow(),
        CheckinFlow(labels),
        TimeOffFlow(),
        CheckinHistoryFlow(),
        CheckinFeedbackFlow(labels),
        CheckinViewFlow(labels),
        KudosFlow(labels),
        KudosReactionFlow(),
        KudosStatsFlow(),
        KudosTopFlow(),
        GoalListFlow(),
        GoalNewFlow(labels),
        GoalUpdateFlow(labels),
        GoalShowFlow(),
        GoalCloseFlow(),
        GoalReopenFlow(),
        GoalStatusFlow(),
        FeedbackFlow(labels),
        FeedbackRequestFlow(labels),
        FeedbackListFlow(labels),
        OneOnOneFlow(labels),
    )
