"""Finding the workspace a command or event is about."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from conversations.flow import State
from conversations.messages import Actor, Inbound, Platform
from conversations.settings_view import summary
from conversations.workspace_settings import WorkspaceSettings, load_settings
from storage import audit, company_values, connections, privacy
from storage.models import AuditAction, Person, Workspace


class WorkspaceNotFound(LookupError):
    """No workspace matches; the message says which ones exist."""


SLACK_TEAM = re.compile(r"^[TE][A-Z0-9]{6,}$")
"""What a Slack team (or Enterprise Grid org) id looks like, so ``--workspace T0123ABCD`` can name one
before the app is installed there."""


def settings_of(session: Session, workspace_id: int) -> WorkspaceSettings:
    """A workspace's settings as stored (the defaults for a workspace that has none)."""
    workspace = session.get(Workspace, workspace_id)
    return load_settings(workspace.settings if workspace else {})


def find(session: Session, platform: Platform, external_id: str) -> Workspace | None:
    return connections.workspace_for(session, platform, external_id)


def _names(session: Session, workspaces: list[Workspace]) -> str:
    shown = []
    for workspace in workspaces:
        assert workspace.id is not None
        accounts = sorted(
            f"{platform.value} {connections.external_id_of(session, workspace.id, platform)}"
            for platform in connections.platforms_of(session, workspace.id)
        )
        shown.append(f"{workspace.name} ({', '.join(accounts)})" if accounts else workspace.name)
    return ", ".join(sorted(shown))


def select_for_cli(session: Session, selector: str | None) -> Workspace | None:
    """The workspace named by ``selector`` (its id, its name, or the id of a platform account it is
    connected to, such as a Slack team id), or the only one there is."""
    workspaces = list(session.exec(select(Workspace).order_by(Workspace.id)).all())
    if selector is None:
        if len(workspaces) > 1:
            raise WorkspaceNotFound(
                f"there are several workspaces ({_names(session, workspaces)}); pick one with --workspace"
            )
        return workspaces[0] if workspaces else None
    for workspace in workspaces:
        if selector in (str(workspace.id), workspace.name):
            return workspace
    for platform in Platform:
        found = connections.workspace_for(session, platform, selector)
        if found is not None:
            return found
    names = _names(session, workspaces) or "none yet"
    raise WorkspaceNotFound(f"no workspace called {selector!r}; known workspaces: {names}")


def get_or_create_for_cli(session: Session, selector: str | None) -> Workspace:
    """Like ``select_for_cli`` but starts the first workspace when the database is empty; a Slack team
    id (``T0123ABCD``) no workspace is connected to connects the one organisation on no platform yet
    (imported before), or else starts a new one connected to that team."""
    try:
        workspace = select_for_cli(session, selector)
    except WorkspaceNotFound:
        if selector is None or not SLACK_TEAM.match(selector):
            raise  # a mistyped name must not quietly start a second organisation
        unconnected = connections.unconnected(session)
        workspace = unconnected[0] if len(unconnected) == 1 else None
        if workspace is None:
            workspace = Workspace(name=selector)
            session.add(workspace)
            session.flush()
        connections.connect(session, workspace, Platform.SLACK, selector)
        return workspace
    if workspace is None:
        workspace = Workspace(name="Cadence")
        session.add(workspace)
        session.flush()
    return workspace


def apply_settings(session: Session, workspace: Workspace, settings: WorkspaceSettings) -> company_values.ValuesSync:
    """Store validated settings (only what the file set, so defaults keep evolving) and sync company values."""
    assert workspace.id is not None
    workspace.settings = settings.model_dump(mode="json", exclude_unset=True)
    session.add(workspace)
    return company_values.sync(session, workspace.id, settings.kudos.values)


def changed_sections(before: WorkspaceSettings, after: WorkspaceSettings) -> list[str]:
    """The top-level settings whose effect differs (defaults filled in): what the audit log names
    for ``cadence config apply``, never the values themselves."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [key for key in type(after).model_fields if old.get(key) != new.get(key)]


def prepare_settings(session: Session, actor: Actor, inbound: Inbound, state: State | None, now: datetime) -> State:
    """The settings flow's context: for an admin, the settings in effect and who applied them last
    (from the audit log, in the admin's time zone); for anyone else, only who the admins are."""
    viewer = session.get(Person, actor.person_id)
    assert viewer is not None
    if not privacy.admin_may(viewer, privacy.Record.SETTINGS):
        admins = [person.display_name for person in privacy.admins_of(session, actor.workspace_id)]
        return State(flow="settings", step="show", data={"allowed": False, "admins": admins})
    applied = audit.latest(session, actor.workspace_id, AuditAction.SETTINGS_APPLIED)
    shown = summary(settings_of(session, actor.workspace_id))
    if applied is not None:
        at = applied.at.astimezone(ZoneInfo(viewer.timezone))
        shown["last_applied"] = {"at": f"{at:%-d %b %Y, %H:%M}", "actor": applied.actor}
    return State(flow="settings", step="show", data={"allowed": True, "shown": shown})


CONTEXTS = {"settings": prepare_settings}
