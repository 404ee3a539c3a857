"""Finding the workspace a command or event is about."""

from __future__ import annotations

from sqlmodel import Session, select

from conversations.messages import Platform
from conversations.workspace_settings import WorkspaceSettings
from storage import company_values
from storage.models import Workspace


class WorkspaceNotFound(LookupError):
    """No workspace matches; the message says which ones exist."""


def find(session: Session, platform: Platform, external_id: str) -> Workspace | None:
    return session.exec(
        select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    ).first()


def select_for_cli(session: Session, selector: str | None) -> Workspace | None:
    """The workspace named by ``selector`` (id, external id or name), or the only one there is."""
    workspaces = session.exec(select(Workspace).order_by(Workspace.id)).all()
    if selector is None:
        if len(workspaces) > 1:
            names = ", ".join(sorted(w.external_id or w.name for w in workspaces))
            raise WorkspaceNotFound(f"there are several workspaces ({names}); pick one with --workspace")
        return workspaces[0] if workspaces else None
    for workspace in workspaces:
        if selector in (str(workspace.id), workspace.external_id, workspace.name):
            return workspace
    names = ", ".join(sorted(w.external_id or w.name for w in workspaces)) or "none yet"
    raise WorkspaceNotFound(f"no workspace called {selector!r}; known workspaces: {names}")


def get_or_create_for_cli(session: Session, selector: str | None, platform: Platform) -> Workspace:
    """Like ``select_for_cli`` but starts the first workspace when the database is empty."""
    workspace = select_for_cli(session, selector)
    if workspace is None:
        workspace = Workspace(platform=platform, external_id=selector, name=selector or "Cadence")
        session.add(workspace)
        session.flush()
    return workspace


def apply_settings(session: Session, workspace: Workspace, settings: WorkspaceSettings) -> company_values.ValuesSync:
    """Store validated settings (only what the file set, so defaults keep evolving) and sync company values."""
    assert workspace.id is not None
    workspace.settings = settings.model_dump(mode="json", exclude_unset=True)
    session.add(workspace)
    return company_values.sync(session, workspace.id, settings.kudos.values)
