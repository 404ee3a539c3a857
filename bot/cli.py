"""The ``cadence`` command line: operations, settings as code, the local shell and the service.

Every failure a user can cause ends as one line on stderr and exit status 1 (2 for a wrong
command line), never a traceback, and never with a half-done write: each command's writes
share one unit of work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar, NoReturn, TextIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError

from bot.config import AppConfig, ConfigError, SlackUnreachable, setting_problem
from bot.log_output import configure_logging
from bot.outbox_sender import OutboxSender
from bot.settings_file import SettingsFileError, check_settings, read_yaml
from bot.tick import Producer, run_tick
from bot.traffic import SharedArrivals, Traffic
from conversations.messages import Platform
from conversations.words import PlainDialect, Words
from conversations.workspace_settings import load_settings
from storage import audit, connections, migrate, org_import, people, workspaces
from storage.database import Database, DatabaseUrlError
from storage.models import AuditAction, Person, Team, Workspace
from storage.secrets import SecretKeyError


class CliError(Exception):
    """A problem the user can fix; the message is the whole explanation."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors, writing to the streams ``main`` was given."""

    streams: ClassVar[dict[object, TextIO]] = {}

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cadence: {message} (see `{self.prog} --help`)\n")

    def _print_message(self, message: str, file=None) -> None:
        if message:
            (self.streams.get(file) or file or sys.stderr).write(message)


@dataclass
class Context:
    config: AppConfig
    out: TextIO
    err: TextIO
    stdin: TextIO
    clock: Callable[[], datetime]

    def database(self, url: str | None = None) -> Database:
        return Database(url or self.config.database_url, secret_keys=self.config.secret_keys)

    def migrated_database(self, url: str | None = None) -> Database:
        database = self.database(url)
        current, head = migrate.current_revision(database.engine), migrate.head_revision()
        if migrate.is_newer_than_this_code(current):
            # a rolling upgrade: the new release migrated first, and every revision only adds, so an
            # older replica restarting meanwhile still serves (deploy/README.md, "Upgrades")
            print(
                f"cadence: the database is at revision {current}, newer than this Cadence ({head}); serving it "
                "as it is, since revisions only add: upgrade this replica to the release that migrated it",
                file=self.err,
            )
        elif current != head:
            raise CliError("the database schema is not up to date; run `cadence db upgrade` first")
        return database


def default_producers() -> list[Producer]:
    """What the tick looks for: check-in prompts and reminders, weekly digests and summaries, feedback
    reminders and requests that closed, 1:1 agendas, quarterly snapshots."""
    from bot.checkin_tick import checkin_producer
    from bot.digest_tick import digest_producer
    from bot.feedback_tick import feedback_producer
    from bot.one_on_one_tick import one_on_one_producer
    from bot.snapshot_tick import snapshot_producer
    from conversations.words import Labels

    labels = Labels()
    return [
        checkin_producer(labels),
        digest_producer(labels),
        feedback_producer(labels),
        one_on_one_producer(labels),
        snapshot_producer(),
    ]


def cmd_db_upgrade(args: argparse.Namespace, context: Context) -> int:
    """Migrate, then encrypt what was stored before Cadence encrypted it (tokens, private notes)."""
    from sqlmodel import SQLModel

    from storage import secrets

    database = context.database()
    current = migrate.current_revision(database.engine)
    if migrate.is_newer_than_this_code(current):
        raise CliError(
            f"the database is at revision {current}, newer than this Cadence knows ({migrate.head_revision()}); "
            "a newer release migrated it, so upgrade Cadence itself rather than the database"
        )
    migrate.upgrade(database.engine)
    print(f"database at revision {migrate.current_revision(database.engine)}", file=context.out)
    encrypted = secrets.rewrite_all(database.engine, SQLModel.metadata, database.secrets, only_plain=True)
    if any(encrypted.values()):
        print(f"encrypted {_counted(encrypted)} stored before encryption", file=context.out)
    return 0


def _counted(rows_by_column: dict[str, int]) -> str:
    return ", ".join(f"{count} in {column}" for column, count in rows_by_column.items() if count) or "nothing"


def cmd_secrets_new_key(args: argparse.Namespace, context: Context) -> int:
    from storage import secrets

    print(secrets.new_key(), file=context.out)
    return 0


def cmd_secrets_rotate(args: argparse.Namespace, context: Context) -> int:
    """Re-encrypt every secret under the newest key. With ``CADENCE_SECRET_KEY``, the operator puts
    the new key first (``new,old``), rotates, then drops the old one; with a SQLite key file, the
    command makes the new key itself and drops the old one from the file once every row is under
    the new key, so a rotation that stops half way can run again."""
    from sqlmodel import SQLModel

    from storage import secrets

    database = context.migrated_database()
    box = database.secrets
    key_file = Path(box.source) if not context.config.secret_keys and box.source.endswith(".key") else None
    if key_file is not None:
        old = secrets.parse_keys(key_file.read_text())
        secrets.write_key_file(key_file, [secrets.new_key(), *old])
        box = secrets.SecretBox(secrets.parse_keys(key_file.read_text()), str(key_file))
    elif not box.available:
        raise CliError(box.missing)
    elif len(box.keys) < 2:
        print(
            f"cadence: {secrets.SECRET_KEY_VARIABLE} holds one key, so every secret is re-encrypted under it; "
            "to change keys, put the new key first and the old one after it (new,old)",
            file=context.out,
        )
    rewritten = secrets.rewrite_all(database.engine, SQLModel.metadata, box, only_plain=False)
    if key_file is not None:
        secrets.write_key_file(key_file, box.keys[:1])
    with database.session_scope() as session:
        audit.record(
            session,
            AuditAction.SECRETS_ROTATED,
            workspace_id=None,
            actor=audit.command_line_actor(),
            details={"rows": sum(rewritten.values()), "columns": rewritten, "keys": box.source},
        )
    print(f"re-encrypted under the newest key: {_counted(rewritten)}", file=context.out)
    if key_file is None and len(box.keys) > 1:
        print(
            f"every secret is under the first key now; remove the others from {secrets.SECRET_KEY_VARIABLE}",
            file=context.out,
        )
    return 0


def cmd_db_current(args: argparse.Namespace, context: Context) -> int:
    database = context.database()
    current, head = migrate.current_revision(database.engine), migrate.head_revision()
    if current == head:
        state = "up to date"
    elif migrate.is_newer_than_this_code(current):
        state = f"newer than this Cadence's {head}: a newer release migrated it"
    else:
        state = f"behind head {head}; run `cadence db upgrade`"
    print(f"revision {current or 'none'} ({state})", file=context.out)
    return 0


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise CliError(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise CliError(f"{path}: the file is not UTF-8 text; save it as UTF-8 CSV") from error
    except OSError as error:
        raise CliError(f"{path}: can't read the file ({error.strerror})") from error


def cmd_org_import(args: argparse.Namespace, context: Context) -> int:
    text = _read_text(Path(args.file))
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = workspaces.get_or_create_for_cli(session, args.workspace)
        assert workspace.id is not None
        report = org_import.import_org(session, workspace.id, text)
        if not report.ok:
            session.rollback()
            for error in report.errors:
                print(f"{args.file}: {error}", file=context.err)
            print(f"cadence: {report.summary()}", file=context.err)
            return 1
        _audit_org_import(session, workspace.id, report, context.clock())
        if args.teams_tenant:
            _check_tenant(args.teams_tenant)
            try:
                connections.connect(session, workspace, Platform.TEAMS, args.teams_tenant)
            except connections.AlreadyConnected as error:
                session.rollback()
                raise CliError(f"{error}; nothing imported") from error
        wanted = {Platform.SLACK: args.workspace, Platform.TEAMS: args.teams_tenant}
        connected = [
            (platform, external_id)
            for platform, external_id in wanted.items()
            if external_id and connections.external_id_of(session, workspace.id, platform) == external_id
        ]
        name = workspace.name
    print(f"{args.file}: {report.summary()}", file=context.out)
    for platform, external_id in connected:
        print(f"{name} is connected to {PLATFORM_NAMES[platform]} ({external_id})", file=context.out)
    return 0


def _audit_org_import(session, workspace_id: int, report: org_import.ImportReport, at: datetime) -> None:
    """The import's counts, and one entry for each person whose role it changed (new admins and
    managers included), in the import's own unit of work."""
    actor = audit.command_line_actor()
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    audit.record(session, AuditAction.ORG_IMPORTED, workspace_id=workspace_id, actor=actor, details=counts, at=at)
    for change in report.role_changes:
        audit.record(
            session,
            AuditAction.ROLE_CHANGED,
            workspace_id=workspace_id,
            actor=actor,
            subject=change.person,
            details={"old": change.old.value if change.old else None, "new": change.new.value},
            at=at,
        )


PLATFORM_NAMES = {Platform.SLACK: "Slack", Platform.TEAMS: "Teams", Platform.SHELL: "the shell"}
_TENANT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _check_tenant(tenant: str) -> None:
    if not _TENANT.match(tenant):
        raise CliError(
            f"{tenant!r} is not a Microsoft tenant id; it is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 "
            "(Entra admin center → Overview → Tenant ID)"
        )


def cmd_org_show(args: argparse.Namespace, context: Context) -> int:
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        everyone = people.all_in(session, workspace.id)
        team_names = {team.id: team.name for team in people.teams_by_name(session, workspace.id).values()}
    print(f"{workspace.name}: {len(everyone)} people", file=context.out)
    for line in org_tree_lines(everyone, team_names):
        print(line, file=context.out)
    return 0


def org_tree_lines(everyone: Sequence[Person], team_names: dict[int | None, str]) -> list[str]:
    """The org chart as an indented tree, managers before their reports, each level by name."""
    reports: dict[int | None, list[Person]] = {}
    ids = {person.id for person in everyone}
    for person in everyone:
        parent = person.manager_id if person.manager_id in ids else None
        reports.setdefault(parent, []).append(person)
    lines: list[str] = []

    def describe(person: Person) -> str:
        parts = [person.display_name, f"<{person.email}>" if person.email else "", person.role.value]
        if person.team_id in team_names:
            parts.append(team_names[person.team_id])
        parts.append(person.timezone)
        if not person.active:
            parts.append("inactive")
        return " · ".join(part for part in parts if part)

    def walk(parent: int | None, prefix: str) -> None:
        children = sorted(reports.get(parent, []), key=lambda person: person.display_name.lower())
        for index, person in enumerate(children):
            last = index == len(children) - 1
            branch = "" if parent is None else ("└── " if last else "├── ")
            lines.append(f"{prefix}{branch}{describe(person)}")
            walk(person.id, prefix + ("" if parent is None else ("    " if last else "│   ")))

    walk(None, "")
    return lines


def _existing_person(session, workspace: Workspace, email: str) -> Person:
    assert workspace.id is not None
    person = people.by_email(session, workspace.id, email)
    if person is None:
        raise CliError(f"no person {email!r} in {workspace.name}; see `cadence org show` for emails")
    return person


def _existing_workspace(session, selector: str | None) -> Workspace:
    workspace = workspaces.select_for_cli(session, selector)
    if workspace is None:
        raise CliError("there is no workspace yet; start with `cadence org import people.csv`")
    return workspace


def cmd_config_apply(args: argparse.Namespace, context: Context) -> int:
    path = Path(args.file)
    try:
        document = read_yaml(path)
    except SettingsFileError as error:
        raise CliError(str(error)) from error
    database = context.migrated_database()
    with database.session_scope() as session:
        existing = workspaces.select_for_cli(session, args.workspace)
        known_teams = sorted(people.teams_by_name(session, existing.id)) if existing and existing.id else []
        settings, errors = check_settings(document, known_teams)
        if settings is None:
            for error in errors:
                print(error.describe(str(path)), file=context.err)
            return _refused(context, path, "applied", len(errors))
        workspace = workspaces.get_or_create_for_cli(session, args.workspace)
        before = load_settings(workspace.settings)
        values = workspaces.apply_settings(session, workspace, settings)
        audit.record(
            session,
            AuditAction.SETTINGS_APPLIED,
            workspace_id=workspace.id,
            actor=audit.command_line_actor(),
            details={"changed": workspaces.changed_sections(before, settings), "file": path.name},
            at=context.clock(),
        )
    print(
        f"{path}: settings applied to {workspace.name}; company values: "
        f"{values.created} added, {values.updated} changed, {values.retired} retired",
        file=context.out,
    )
    return 0


def _refused(context: Context, path: Path, what: str, problems: int) -> int:
    """The last line after a file's problems: nothing was written."""
    which = "the problem" if problems == 1 else f"the {problems} problems"
    print(f"cadence: {path}: nothing {what}; fix {which} above", file=context.err)
    return 1


def cmd_config_show(args: argparse.Namespace, context: Context) -> int:
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
    effective = load_settings(workspace.settings).model_dump(mode="json")
    print(f"# effective settings of {workspace.name} (defaults filled in)", file=context.out)
    print(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True).rstrip(), file=context.out)
    return 0


def cmd_goals_import(args: argparse.Namespace, context: Context) -> int:
    from storage.goals_as_code import import_goals

    path = Path(args.file)
    try:
        document = read_yaml(path)
    except SettingsFileError as error:
        raise CliError(str(error)) from error
    database = context.migrated_database()
    now = context.clock()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        report = import_goals(session, workspace.id, document.data, now, now.date())
        if report.errors:
            session.rollback()
            for located in document.locate(report.errors):
                print(located.describe(str(path)), file=context.err)
            return _refused(context, path, "imported", len(report.errors))
        counts = ("created", "updated", "key_results_created", "key_results_updated")
        audit.record(
            session,
            AuditAction.GOALS_IMPORTED,
            workspace_id=workspace.id,
            actor=audit.command_line_actor(),
            details={name: getattr(report, name) for name in counts},
            at=now,
        )
    print(f"{path}: {report.summary()}", file=context.out)
    return 0


def cmd_goals_export(args: argparse.Namespace, context: Context) -> int:
    from storage.goals_as_code import export_goals

    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        tree = export_goals(session, workspace.id, args.period)
    print(f"# goals of {workspace.name}; edit and load back with `cadence goals import`", file=context.out)
    print(yaml.safe_dump(tree, sort_keys=False, allow_unicode=True).rstrip(), file=context.out)
    return 0


def cmd_digest_preview(args: argparse.Namespace, context: Context) -> int:
    import json

    from conversations.digest import digest_message
    from conversations.schedule import covered_week, digest_instant
    from storage import digests

    database = context.migrated_database()
    now = context.clock()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        manager = _existing_person(session, workspace, args.manager)
        settings = load_settings(workspace.settings)
        team = session.get(Team, manager.team_id) if manager.team_id else None
        team_settings = settings.for_team(team.name if team else None)
        latest = covered_week(team_settings, digest_instant(team_settings, now, manager.timezone), manager.timezone)
        week = (args.week or latest).strip().upper()
        _check_week(week)
        problem = _no_data_for(session, manager, week, latest, now)
        if problem:
            raise CliError(problem)
        data = digests.build_digest(session, manager, week, now)
    if data is None:
        raise CliError(f"{manager.display_name} has nobody reporting to them, so there is no digest")
    chart_note = _write_chart(Path(args.chart), data["chart"]) if args.chart else None
    message = digest_message(data)
    override_dirs = [Path(settings.templates_dir)] if settings.templates_dir else []
    if args.format == "slack":
        from bot.slack.render import BlockKit

        print(json.dumps(BlockKit(override_dirs).message(message), indent=2, ensure_ascii=False), file=context.out)
    else:
        from bot.shell.render import render_text

        print(render_text(Words(PlainDialect(), override_dirs), message), file=context.out)
    if chart_note:
        print(f"cadence: {chart_note}", file=context.err)  # stdout stays the digest alone, JSON included
    return 0


def _write_chart(path: Path, chart: dict) -> str:
    """Write the digest's chart to ``path``, before the digest is printed so that a path that can't
    be written stops the command with nothing half done; returns what to tell the reader."""
    from bot.charts import chart_title, has_data, nothing_to_draw, render_chart

    if not has_data(chart):
        return f"no chart: {nothing_to_draw(chart)}, so {path} was not written"
    _write_file(path, render_chart(chart))
    return f"chart of {chart_title(chart)} saved to {path}"


def _write_file(path: Path, data: bytes) -> None:
    """Write a file the command was asked for, or stop with one line saying why it can't be."""
    try:
        path.write_bytes(data)
    except OSError as error:
        raise CliError(f"{path}: can't write it ({error.strerror}); give a file in a folder that exists") from error


FAIRNESS_COLUMNS = (
    "kind",
    "name",
    "shown",
    "hidden_because",
    "people",
    "kudos",
    "no_kudos_share",
    "kudos_gini",
    "checkins_submitted",
    "checkins_expected",
    "checkin_participation",
    "goal_updates",
    "goal_weeks",
    "goal_updates_per_goal_week",
    "feedback_given_per_person",
    "feedback_received_per_person",
)


def cmd_fairness(args: argparse.Namespace, context: Context) -> int:
    """The fairness view as data, for admins at the command line: one row per group, hidden groups
    with no figures, so a spreadsheet gets what chat shows."""
    import csv
    import io
    import json
    from zoneinfo import ZoneInfo

    from conversations.fairness_view import PeriodProblem, asked_period
    from conversations.goal_progress import current_period
    from storage.fairness import fairness_report

    today = context.clock().astimezone(UTC).date()
    period = asked_period(args.period or "", today)
    example = f"for example --period {current_period(today)}"
    if period is PeriodProblem.UNKNOWN:
        raise CliError(f"{args.period!r} isn't a period; give a quarter, {example}")
    if period is PeriodProblem.FUTURE:
        raise CliError(f"{args.period} hasn't begun yet, so there is nothing to measure; {example}")
    assert not isinstance(period, PeriodProblem)
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        report = fairness_report(session, workspace, period, ZoneInfo("UTC"))
    if not report["has_data"]:
        raise CliError(
            f"nothing to measure in {period.name}: figures appear once people give kudos, answer check-ins, "
            "update their goals or give feedback in that period"
        )
    chart_note = _write_fairness_chart(Path(args.chart), report["chart"]) if args.chart else None
    if args.format == "json":
        keys = ("organisation", "period", "first", "last", "through", "weeks", "threshold", "shown", "hidden")
        print(json.dumps({key: report[key] for key in keys}, indent=2, ensure_ascii=False), file=context.out)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FAIRNESS_COLUMNS, restval="", extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        threshold = report["threshold"]
        reasons = {
            "small": f"fewer than {threshold} people",
            "subtraction": f"would single out fewer than {threshold} people set against a larger group",
        }
        for group in report["shown"]:
            writer.writerow({**group, "shown": "yes"})
        for group in report["hidden"]:
            writer.writerow({**group, "shown": "no", "hidden_because": reasons[group["reason"]]})
        print(buffer.getvalue(), end="", file=context.out)
    if chart_note:
        print(f"cadence: {chart_note}", file=context.err)
    return 0


def _write_fairness_chart(path: Path, chart: dict) -> str:
    from bot.charts import fairness_chart_title, render_fairness_chart

    if not chart["teams"]:
        return f"no chart: no team has at least {chart['threshold']} people to show, so {path} was not written"
    _write_file(path, render_fairness_chart(chart))
    return f"chart of {fairness_chart_title(chart)} saved to {path}"


def _no_data_for(session, manager: Person, week: str, latest: str, now: datetime) -> str | None:
    """Why ``week`` has nothing to digest for ``manager``'s team (a week to come, or one nobody
    was asked about), or None when it has. The reader is pointed at the latest week that has one."""
    from conversations.schedule import week_days, week_ends_at
    from storage import digests

    zone = ZoneInfo(manager.timezone)
    record = digests.team_week(session, manager, week, latest)
    pointer = (
        f"the latest week with check-ins is {record.latest_week}"
        if record.latest_week and record.latest_week != week
        else "nobody in the team has had a check-in yet"
    )
    if week_days(week)[0] > now.astimezone(zone).date():
        return f"{week} hasn't happened yet; {pointer}"
    if record.checked_in or not record.reports:
        return None  # no reports at all: build_digest says so in its own words
    team = f"{digests.first_name(manager)}'s team"
    ended = week_ends_at(week, manager.timezone)
    if ended > now:
        problem = f"nobody in {team} has had a check-in in {week} yet"
    elif record.first_joined is not None and ended <= record.first_joined:
        problem = f"nobody in {team} had a check-in in {week} (before they joined Cadence)"
    else:
        problem = f"nobody in {team} had a check-in in {week}"
    return f"{problem}; {pointer}"


def _check_week(week: str) -> None:
    from conversations.schedule import is_iso_week, weeks_in_year

    if is_iso_week(week):
        return
    if re.match(r"^\d{4}-W\d{2}$", week):
        year = int(week[:4])
        raise CliError(
            f"{week} is not an ISO week: {year} has weeks W01 to W{weeks_in_year(year)}; write one like 2026-W48"
        )
    raise CliError(f"{week!r} is not an ISO week; write it like 2026-W48")


def _parse_instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise CliError(f"{text!r} is not an ISO 8601 date and time; write it like 2026-12-04T10:00:00Z") from error
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def cmd_tick(args: argparse.Namespace, context: Context) -> int:
    at = _parse_instant(args.at) if args.at else context.clock()
    database = context.migrated_database()
    started = time.monotonic()

    def clock() -> datetime:
        """``--at``, moving on with real time while deliveries wait for rate limits."""
        return at + timedelta(seconds=time.monotonic() - started)

    async def tick():
        runtime = _runtime(context, socket_mode=False, serve=False)
        transports = {adapter.platform: await adapter.open_transport(runtime.parts) for adapter in runtime.adapters}
        sender = OutboxSender(database, transports, clock)
        try:
            report = await run_tick(database, sender, at, default_producers(), retention_at=min(at, context.clock()))
            if args.wait:
                report.delivery.add(await sender.drain_until_idle(args.wait))
        finally:
            await sender.close()
        return report

    report = asyncio.run(tick())
    print(report.summary(), file=context.out)
    return 0


def _open_shell(context: Context, database: Database, workspace: Workspace, person: Person) -> int:
    from bot.shell.session import ShellClock, ShellSession
    from conversations.flows import all_flows

    settings = load_settings(workspace.settings)
    override_dirs = [Path(settings.templates_dir)] if settings.templates_dir else []
    shell = ShellSession(
        database,
        workspace,
        person,
        all_flows(),
        Words(PlainDialect(), override_dirs),
        ShellClock(context.clock),
        default_producers(),
        context.out,
        prompt=context.stdin.isatty(),
    )
    shell.run(context.stdin)
    return 0


def _remove_demo_database(context: Context) -> None:
    """Start the demo afresh: its SQLite file (and the write-ahead files beside it) go."""
    url = sa.engine.make_url(context.config.demo_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise CliError("--reset removes the demo's SQLite file; DEMO_DATABASE_URL points elsewhere, so clear it there")
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)
    print(f"cadence: the demo starts afresh ({url.database} removed)", file=context.err)


def cmd_shell(args: argparse.Namespace, context: Context) -> int:
    if args.reset and not args.demo:
        raise CliError("--reset only works with --demo: it starts the demo afresh, never your own data")
    if args.demo:
        return _run_demo(context, args.as_email, reset=args.reset)
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        if args.as_email:
            person = people.by_handle(session, workspace.id, args.as_email)
        else:
            person = session.scalars(
                sa.select(Person).where(Person.workspace_id == workspace.id, Person.active).order_by(Person.id)
            ).first()
        if person is None:
            who = args.as_email or "anyone"
            raise CliError(f"no person {who!r} in {workspace.name}; see `cadence org show` for emails")
    return _open_shell(context, database, workspace, person)


def _run_demo(context: Context, as_email: str | None, *, reset: bool = False) -> int:
    from bot.demo import ensure_demo_workspace

    if reset:
        _remove_demo_database(context)
    database = context.database(context.config.demo_database_url)
    migrate.upgrade(database.engine)
    workspace, person = ensure_demo_workspace(database)
    if as_email:
        with database.session_scope() as session:
            assert workspace.id is not None
            found = people.by_handle(session, workspace.id, as_email)
        if found is None:
            raise CliError(
                f"no person {as_email!r} in the demo workspace; open `cadence shell --demo` and type /as to see everyone"
            )
        person = found
    print("This is the DEMO workspace with sample people; nothing here is real data.", file=context.out)
    return _open_shell(context, database, workspace, person)


def _runtime(
    context: Context,
    *,
    socket_mode: bool,
    serve: bool = True,
    worker_processes: int = 0,
    traffic: Traffic | None = None,
):
    from bot.runtime import Runtime
    from conversations.flows import all_flows

    database = context.migrated_database()
    try:
        return Runtime(
            context.config,
            database,
            context.clock,
            all_flows(),
            default_producers(),
            socket_mode=socket_mode,
            out=context.out,
            serve=serve,
            worker_processes=worker_processes,
            traffic=traffic,
        )
    except ConfigError as error:
        raise CliError(str(error)) from error


def _port(args: argparse.Namespace, context: Context) -> int:
    """``--port``, where 0 asks for any free port (the line saying where it serves tells which), else PORT."""
    return args.port if args.port is not None else context.config.port


def _serve(context: Context, host: str, port: int, *, socket_mode: bool) -> int:
    import uvicorn

    from bot.leadership import AlreadyServing
    from bot.service import AnnouncedServer

    log_config = configure_logging(context.config.log_level, context.config.log_format)
    runtime = _runtime(context, socket_mode=socket_mode, worker_processes=context.config.cadence_worker_processes)
    if not runtime.database.secrets.available:  # before anyone installs or writes a private note
        raise CliError(runtime.database.secrets.missing)
    try:
        runtime.leadership.claim_database()
    except AlreadyServing as error:
        raise CliError(str(error)) from error
    asyncio.run(runtime.connect())  # an unreachable platform or a refused token: one line, before serving

    def announce(bound_port: int) -> None:
        base = f"http://{host}:{bound_port}"
        print(f"cadence: serving {runtime.serving(base)}; health at {base}/healthz", file=context.out)

    server = AnnouncedServer(
        uvicorn.Config(
            runtime.service,
            host=host,
            port=port,
            lifespan="on",
            log_config=log_config,
            log_level=context.config.log_level.lower(),
            timeout_graceful_shutdown=max(int(runtime.shutdown_grace), 1),  # requests in flight, then ours
        ),
        announce,
    )
    try:
        server.run()
    except SystemExit:  # uvicorn's own exit when start-up fails (port taken); it has logged why
        return 1
    finally:
        runtime.leadership.release()
    return 0 if server.started else 1


def cmd_worker_process(args: argparse.Namespace, context: Context) -> int:
    """The background work of the ``cadence serve`` that started this process (``bot/worker_processes.py``)."""
    from bot.worker_processes import ServingProcessLink, work_for_serving_process

    try:
        os.nice(context.config.cadence_worker_niceness)
    except OSError as error:  # a sandbox that forbids it (a seccomp filter): the work is the same, only sooner
        print(f"cadence: this worker process keeps its CPU priority ({error.strerror})", file=context.err)
    configure_logging(context.config.log_level, context.config.log_format)
    traffic = Traffic(arrivals=SharedArrivals(args.arrivals_fd))
    runtime = _runtime(context, socket_mode=False, serve=False, traffic=traffic)
    asyncio.run(work_for_serving_process(runtime, ServingProcessLink(args.wake_fd, args.report_fd)))
    return 0


def cmd_serve(args: argparse.Namespace, context: Context) -> int:
    return _serve(context, args.host or context.config.host, _port(args, context), socket_mode=False)


def cmd_socket(args: argparse.Namespace, context: Context) -> int:
    return _serve(context, args.host or context.config.host, _port(args, context), socket_mode=True)


def cmd_run(args: argparse.Namespace, context: Context) -> int:
    """What `make run` does: serve the configured platforms, or open the demo shell without any."""
    if context.config.has_slack or context.config.has_teams:
        socket_mode = bool(context.config.slack_app_token) and not context.config.slack_signing_secret
        return _serve(context, context.config.host, context.config.port, socket_mode=socket_mode)
    return _run_demo(context, args.as_email)


def cmd_org_sync_teams(args: argparse.Namespace, context: Context) -> int:
    import httpx

    from bot.config import check_teams
    from bot.teams.people_sync import RosterOutcome, sync_team
    from bot.teams.sdk import build_sdk
    from bot.teams.side import bind_tenant, service_url_of

    config = context.config
    if not config.teams_app_id or not config.teams_tenant_id:
        raise CliError(
            "TEAMS_APP_ID and TEAMS_TENANT_ID must be set; org sync --teams reads the team's roster as your bot"
        )
    try:
        check_teams(config)
    except ConfigError as error:
        raise CliError(str(error)) from error
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = bind_tenant(session, config.teams_tenant_id, config.teams_tenant_id)
        assert workspace.id is not None
        workspace_id, name = workspace.id, workspace.name
        service_url = service_url_of(session, workspace_id) or config.teams_service_url
    sdk = build_sdk(config)
    try:
        counts = asyncio.run(sync_team(sdk, database, workspace_id, args.teams, service_url))
    except httpx.HTTPStatusError as error:
        status = error.response.status_code
        raise CliError(
            f"Teams refused to list the members of {args.teams} (HTTP {status}); check the team id "
            "(a team's id looks like 19:…@thread.tacv2) and that Cadence is installed in that team"
        ) from error
    except (httpx.TransportError, ValueError) as error:
        raise CliError(f"can't reach Teams at {service_url}: {error}") from error
    summary = ", ".join(f"{counts.get(outcome, 0)} {outcome.value}" for outcome in RosterOutcome)
    print(f"{name}: {summary}", file=context.out)
    return 0


def cmd_org_sync(args: argparse.Namespace, context: Context) -> int:
    if args.teams:
        return cmd_org_sync_teams(args, context)
    from bot.slack.app import CONNECTION_ERRORS, identify, web_client
    from bot.slack.installations import bind_workspace
    from bot.slack.people_sync import SyncOutcome, sync_workspace

    if not context.config.slack_bot_token:
        raise CliError("SLACK_BOT_TOKEN is not set; org sync reads users.list with the bot token of your Slack app")
    database = context.migrated_database()

    async def sync():
        identity = await identify(context.config)
        with database.session_scope() as session:
            workspace = bind_workspace(session, identity.team_id, identity.team_name, adopt_unconnected=True)
        try:
            counts = await sync_workspace(web_client(context.config, identity.bot_token), database, workspace.id)
        except CONNECTION_ERRORS as error:
            raise SlackUnreachable(context.config.slack_api_url, error) from error
        return workspace.name, counts

    try:
        name, counts = asyncio.run(sync())
    except SlackApiError as error:
        raise CliError(f"Slack refused the request: {error.response.get('error', error)}") from error
    summary = ", ".join(f"{counts.get(outcome, 0)} {outcome.value}" for outcome in SyncOutcome)
    print(f"{name}: {summary}", file=context.out)
    return 0


def cmd_manifest_slack(args: argparse.Namespace, context: Context) -> int:
    from bot.slack.manifest import PLACEHOLDER_BASE_URL, render_manifest

    try:
        print(render_manifest(args.url, socket_mode=args.socket_mode), end="", file=context.out)
    except ValueError as error:
        raise CliError(str(error)) from error
    if args.url is None and not args.socket_mode:
        print(
            "cadence: the request URLs in this manifest are placeholders; print it with the public https "
            f"address Slack reaches this server at, for example `cadence manifest slack --url {PLACEHOLDER_BASE_URL}`",
            file=context.err,
        )
    return 0


def cmd_manifest_teams(args: argparse.Namespace, context: Context) -> int:
    from bot.teams.manifest import PLACEHOLDER_BASE_URL, build_package

    app_id = args.app_id or context.config.teams_app_id
    if not app_id:
        raise CliError("no app id: pass --app-id with the Microsoft App ID of Cadence's Azure bot, or set TEAMS_APP_ID")
    try:
        path = build_package(app_id, args.out, base_url=args.url)
    except ValueError as error:
        raise CliError(str(error)) from error
    except OSError as error:
        raise CliError(f"could not write {args.out}: {error.strerror or error}") from error
    print(path, file=context.out)
    if args.url is None:
        print(
            "cadence: the website, privacy and terms links in this package are placeholders; build it with the "
            f"public https address of this server, for example `cadence manifest teams --url {PLACEHOLDER_BASE_URL}`",
            file=context.err,
        )
    return 0


def cmd_snapshot(args: argparse.Namespace, context: Context) -> int:
    from bot import snapshot_export
    from conversations.goal_progress import current_period
    from storage import snapshots

    database = context.migrated_database()
    now = context.clock()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        assert workspace.id is not None
        person = _existing_person(session, workspace, args.person)
        today = now.astimezone(ZoneInfo(person.timezone)).date()
        period = (args.period or current_period(today)).strip().upper()
        problem = snapshots.period_problem(period, today)
        if problem:
            raise CliError(problem)
        snapshot = snapshots.build_snapshots(session, workspace.id, period, [person.id], today)[person.id]
    if not snapshot["has_data"]:
        raise CliError(Words(PlainDialect()).render("snapshot", snapshot).body)
    if args.format == "json":
        _write_or_print(context, args.out, snapshot_export.to_json(snapshot))
    elif args.format == "pdf":
        out = Path(args.out or f"snapshot-{person.email or person.id}-{period}.pdf")
        _write_file(out, snapshot_export.to_pdf(snapshot))
        print(f"cadence: wrote {person.display_name}'s {period} snapshot to {out}", file=context.err)
    else:
        link = None
        if args.out:
            chart_path = Path(args.out).with_suffix(".png")
            _write_file(chart_path, snapshot_export.render_chart(snapshot_export.chart(snapshot)))
            link = chart_path.name
        _write_or_print(context, args.out, snapshot_export.to_markdown(snapshot, link))
    return 0


def _write_or_print(context: Context, out: str | None, text: str) -> None:
    if out is None:
        print(text, file=context.out, end="" if text.endswith("\n") else "\n")
    else:
        _write_file(Path(out), text.encode())


def cmd_audit(args: argparse.Namespace, context: Context) -> int:
    from bot import audit_report

    try:
        since = audit_report.since_from(args.since, context.clock()) if args.since else None
    except ValueError as error:
        raise CliError(str(error)) from error
    database = context.migrated_database()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace) if args.workspace else None
        shown = audit_report.entries(session, workspace_id=workspace.id if workspace else None, since=since)
    if args.format == "json":
        print(audit_report.as_json(shown), file=context.out)
    elif shown:
        print(audit_report.as_text(shown), file=context.out)
    else:
        after = f" since {since.isoformat(timespec='seconds')}" if since else ""
        print(f"cadence: no admin actions recorded{after}", file=context.err)
    return 0


def cmd_export(args: argparse.Namespace, context: Context) -> int:
    """Everything held about one person as JSON, on stdout or in a file, recorded in the audit log."""
    import json

    from storage import audit, personal_data
    from storage.models import AuditAction

    database = context.migrated_database()
    now = context.clock()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        person = _existing_person(session, workspace, args.person)
        document = personal_data.export(session, person, now)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        audit.record(
            session,
            AuditAction.EXPORTED,
            workspace_id=workspace.id,
            actor=audit.command_line_actor(),
            subject=person,
            details={"delivery": "file" if args.out else "stdout"},
            at=now,
        )
        _write_or_print(context, args.out, text)  # a file that can't be written leaves no audit entry
        name = person.display_name
    if args.out:
        print(f"cadence: wrote everything held about {name} to {args.out}", file=context.err)
    return 0


def cmd_forget(args: argparse.Namespace, context: Context) -> int:
    """Erase a person, after showing what goes and having their email typed again (or ``--yes``)."""
    from storage import erasure
    from storage.audit import command_line_actor

    words = Words(PlainDialect())
    database = context.migrated_database()
    now = context.clock()
    with database.session_scope() as session:
        workspace = _existing_workspace(session, args.workspace)
        person = _existing_person(session, workspace, args.email)
        assert person.id is not None
        anonymous = erasure.erased_name(person.id)
        counts = erasure.summary(session, person)
        if not args.yes:
            if not context.stdin.isatty():
                raise CliError(
                    f"forget erases {person.display_name} for good; run it in a terminal to confirm, "
                    f"or add --yes: cadence forget {person.email} --yes"
                )
            question = {
                "person": {"id": person.id, "display_name": person.display_name, "email": person.email},
                "counts": counts,
                "anonymous_name": anonymous,
            }
            print(words.render("forget_confirm", question).text, file=context.out)
            context.out.write(f"Type {person.email} again to erase them: ")
            context.out.flush()
            typed = context.stdin.readline().strip()
            if typed.lower() != (person.email or "").lower():
                raise CliError("that isn't their email; nothing was erased")
        erased = erasure.forget(session, person, now, actor=command_line_actor())
    done = {"counts": {kind: erased.counts[kind] for kind in counts}, "anonymous_name": erased.anonymous_name}
    print(words.render("forget_done", done).text, file=context.out)
    return 0


def cmd_privacy(args: argparse.Namespace, context: Context) -> int:
    from storage import privacy

    print(privacy.table(), file=context.out)
    return 0


def build_parser(out: TextIO | None = None, err: TextIO | None = None) -> Parser:
    class BoundParser(Parser):
        streams: ClassVar[dict[object, TextIO]] = {sys.stdout: out or sys.stdout, sys.stderr: err or sys.stderr}

    parser = BoundParser(prog="cadence", description="Weekly check-ins, kudos, goals and digests in Slack and Teams.")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this command")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=BoundParser)
    # the same option after the subcommand (`cadence org show --database-url ...`); SUPPRESS keeps a
    # subcommand that doesn't repeat it from resetting the one given before it
    database_option = argparse.ArgumentParser(add_help=False)
    database_option.add_argument("--database-url", default=argparse.SUPPRESS, help="overrides DATABASE_URL")

    def command(name: str, handler, help_text: str, parent=commands) -> Parser:
        sub = parent.add_parser(name, help=help_text, description=help_text, parents=[database_option])
        sub.set_defaults(handler=handler)
        return sub

    def workspace_option(sub: Parser) -> None:
        sub.add_argument("--workspace", help="workspace name or id (defaults to the only one)")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    command("upgrade", cmd_db_upgrade, "migrate the database to the latest schema", db)
    command("current", cmd_db_current, "show the schema revision", db)

    secrets_commands = commands.add_parser("secrets", help="the keys tokens and private notes are encrypted under")
    secrets_commands = secrets_commands.add_subparsers(dest="secrets_command", required=True)
    command("new-key", cmd_secrets_new_key, "print a new key for CADENCE_SECRET_KEY", secrets_commands)
    command("rotate", cmd_secrets_rotate, "re-encrypt every stored secret under the newest key", secrets_commands)

    org = commands.add_parser("org", help="people and the org chart").add_subparsers(dest="org_command", required=True)
    org_import_cmd = command(
        "import", cmd_org_import, f"import people from a CSV file ({org_import.EXAMPLE_HEADER})", org
    )
    org_import_cmd.add_argument("file", metavar="FILE.csv")
    org_import_cmd.add_argument(
        "--workspace",
        help="workspace name or id (defaults to the only one); a Slack team id (T0123ABCD) connects it to that team",
    )
    org_import_cmd.add_argument(
        "--teams-tenant",
        metavar="TENANT_ID",
        help="connect the organisation to this Microsoft Teams tenant (a GUID) as well",
    )
    workspace_option(command("show", cmd_org_show, "print the org chart", org))

    config = commands.add_parser("config", help="workspace settings as code").add_subparsers(
        dest="config_command", required=True
    )
    apply_cmd = command("apply", cmd_config_apply, "validate a settings YAML file and store it", config)
    apply_cmd.add_argument("file", metavar="FILE.yaml")
    workspace_option(apply_cmd)
    workspace_option(command("show", cmd_config_show, "print the effective settings", config))

    goals = commands.add_parser("goals", help="goals as code").add_subparsers(dest="goals_command", required=True)
    goals_import = command("import", cmd_goals_import, "load or update a goal tree from a YAML file", goals)
    goals_import.add_argument("file", metavar="FILE.yaml")
    workspace_option(goals_import)
    goals_export = command("export", cmd_goals_export, "print the goal tree as YAML", goals)
    goals_export.add_argument("--period", help="only this period, e.g. 2026-Q4")
    workspace_option(goals_export)

    digest = commands.add_parser("digest", help="weekly manager digests").add_subparsers(
        dest="digest_command", required=True
    )
    preview = command("preview", cmd_digest_preview, "print a manager's digest", digest)
    preview.add_argument("--manager", required=True, metavar="EMAIL")
    preview.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: the one the latest digest covers)")
    preview.add_argument("--format", choices=("text", "slack"), default="text")
    preview.add_argument(
        "--chart", metavar="FILE.png", help="also write the digest's chart (mood, goal progress) there"
    )
    workspace_option(preview)

    shell = command("shell", cmd_shell, "talk to Cadence in the terminal")
    shell.add_argument(
        "--as", dest="as_email", metavar="EMAIL", help="the person you speak as: an email, or a first name like priya"
    )
    shell.add_argument("--demo", action="store_true", help="use the demo workspace with sample data")
    shell.add_argument("--reset", action="store_true", help="with --demo: throw the demo's data away and start afresh")
    workspace_option(shell)

    tick = command("tick", cmd_tick, "run once everything due at an instant and deliver the outbox")
    tick.add_argument("--at", metavar="ISO8601", help="the instant (default now; no offset means UTC)")
    tick.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="keep delivering what rate limits defer, up to this long",
    )

    for name, handler, help_text in (
        ("serve", cmd_serve, "serve Slack over HTTP (events, commands, interactivity), /healthz and /metrics"),
        ("socket", cmd_socket, "run the Slack listeners over Socket Mode, for development without a public URL"),
    ):
        serve = command(name, handler, help_text)
        serve.add_argument("--host", help="listen address (default HOST or 127.0.0.1)")
        serve.add_argument("--port", type=int, help="listen port (default PORT or 3000)")

    org_sync = command(
        "sync", cmd_org_sync, "pull names, time zones and deactivations from Slack, or link a Teams team's roster", org
    )
    workspace_option(org_sync)
    org_sync.add_argument(
        "--teams", metavar="TEAM_ID", help="link the members of this Teams team (19:…@thread.tacv2) by email instead"
    )

    worker_process = command(
        "worker-process",
        cmd_worker_process,
        "the inbox, outbox and scheduler of the `cadence serve` that starts it (CADENCE_WORKER_PROCESSES); not run by hand",
    )
    worker_process.add_argument("--wake-fd", type=int, required=True, help=argparse.SUPPRESS)
    worker_process.add_argument("--report-fd", type=int, required=True, help=argparse.SUPPRESS)
    worker_process.add_argument("--arrivals-fd", type=int, required=True, help=argparse.SUPPRESS)

    manifest = commands.add_parser("manifest", help="platform app manifests").add_subparsers(
        dest="manifest_command", required=True
    )
    slack_manifest = command(
        "slack", cmd_manifest_slack, "print the Slack app manifest with your URLs filled in", manifest
    )
    slack_manifest.add_argument("--url", help="public base URL of this Cadence, e.g. https://cadence.example.com")
    slack_manifest.add_argument(
        "--socket-mode", action="store_true", help="a manifest for Socket Mode (no request URLs)"
    )
    teams_manifest = command(
        "teams", cmd_manifest_teams, "write the Teams app package (manifest and icons, zipped) to upload", manifest
    )
    teams_manifest.add_argument(
        "--app-id", metavar="ID", help="the Microsoft App ID of Cadence's Azure bot (default TEAMS_APP_ID)"
    )
    teams_manifest.add_argument("--out", default="cadence-teams.zip", metavar="FILE.zip", help="where to write it")
    teams_manifest.add_argument("--url", help="public base URL of this Cadence, e.g. https://cadence.example.com")

    snapshot = command(
        "snapshot", cmd_snapshot, "a person's quarter: goals, check-ins, mood, blockers, kudos, feedback, expectations"
    )
    snapshot.add_argument("--person", required=True, metavar="EMAIL")
    snapshot.add_argument("--period", help="the quarter, e.g. 2026-Q4 (default: the current one, in their time zone)")
    snapshot.add_argument("--format", choices=("markdown", "json", "pdf"), default="markdown")
    snapshot.add_argument(
        "--out",
        metavar="FILE",
        help="write it there (Markdown: the chart goes beside it as FILE.png); PDF needs a file",
    )
    workspace_option(snapshot)
    fairness = command(
        "fairness", cmd_fairness, "print the fairness view of a period (kudos, check-ins, goals, feedback by group)"
    )
    fairness.add_argument("--period", help="e.g. 2026-Q4 (default: the current quarter, in UTC)")
    fairness.add_argument("--format", choices=("csv", "json"), default="csv")
    fairness.add_argument("--chart", metavar="FILE.png", help="also write the kudos spread by team there")
    workspace_option(fairness)

    export = command("export", cmd_export, "write everything Cadence holds about a person as JSON")
    export.add_argument("--person", required=True, metavar="EMAIL")
    export.add_argument("--out", metavar="FILE.json", help="write it there instead of to standard output")
    workspace_option(export)
    forget = command(
        "forget", cmd_forget, "erase a person: their words and identity go, the counts others' figures rest on stay"
    )
    forget.add_argument("email", metavar="EMAIL")
    forget.add_argument("--yes", action="store_true", help="don't ask: erase without typing the email again")
    workspace_option(forget)
    command("privacy", cmd_privacy, "print who may read each kind of record (the README's table, from the code)")
    audit_cmd = command(
        "audit", cmd_audit, "print the admin actions recorded (settings, imports, roles, overrides, exports, erasures)"
    )
    audit_cmd.add_argument("--since", metavar="DATE|AGE", help="from this date (2026-11-01) or age (7d, 12h) on")
    audit_cmd.add_argument("--format", choices=("text", "json"), default="text")
    audit_cmd.add_argument("--workspace", help="one workspace's entries (with the installation's); default: all")

    run = command("run", cmd_run, "serve the configured platforms, or open the demo shell without any")
    run.add_argument("--as", dest="as_email", metavar="EMAIL", help=argparse.SUPPRESS)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    try:
        args = build_parser(out, err).parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    try:
        config = AppConfig()
        if args.database_url:
            config = config.model_copy(update={"database_url": args.database_url})
        context = Context(config, out, err, stdin, clock or (lambda: datetime.now(UTC)))
        return args.handler(args, context)
    except (
        CliError,
        DatabaseUrlError,
        ConfigError,
        SlackUnreachable,
        SecretKeyError,
        workspaces.WorkspaceNotFound,
    ) as error:
        print(f"cadence: {error}", file=err)
    except ValidationError as error:
        print(f"cadence: {setting_problem(error)}", file=err)
    except sa.exc.StatementError as error:
        if isinstance(error.orig, SecretKeyError):
            print(f"cadence: {error.orig}", file=err)
        elif isinstance(error, sa.exc.OperationalError):
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            print(f"cadence: can't use the database: {reason}", file=err)
        else:
            raise
    except KeyboardInterrupt:
        print("cadence: interrupted", file=err)
    return 1


PIPE_CLOSED = 141  # 128 + SIGPIPE: the status a shell shows for a command whose reader went away


def entry_point() -> None:
    """The ``cadence`` script. A reader that stops early (``cadence config show | head``) closes
    stdout under us; like any Unix tool, the command then just ends, without a traceback."""
    try:
        code = main()
        sys.stdout.flush()  # here, inside the try, is where buffered output meets a closed pipe
    except BrokenPipeError:
        # the interpreter flushes stdout once more on its way out, and would report the broken pipe
        # again: what is left to write goes to /dev/null instead
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = PIPE_CLOSED
    raise SystemExit(code)


if __name__ == "__main__":
    entry_point()
