"""Secrets and private words at rest: encrypted with Fernet, by column type, so no repository can
forget to.

What is encrypted: Slack's OAuth installations and bot records (their tokens), private 1:1 notes,
and the raw platform requests and outgoing messages waiting in the inbox and outbox (a private
note typed as a command travels through both). ``cryptography``'s :class:`MultiFernet` does the
work: AES-128-CBC with an HMAC-SHA256, a timestamp, and any number of keys, the first one
encrypting and all of them decrypting, which is what rotating a key needs.

Where the key comes from, in order:

1. ``CADENCE_SECRET_KEY``: one or more Fernet keys separated by commas, newest first (production:
   keep it out of the database's backups);
2. for a SQLite file, a key file beside it (``cadence.db.key``, made on first use, readable by its
   owner only), so a laptop or a demo works without setting anything;
3. for SQLite in memory (tests), a key made for the process.

PostgreSQL without ``CADENCE_SECRET_KEY`` has no key: writing or reading a secret then fails with
one sentence saying to set it.

The key reaches the column types through the engine's dialect (the one thing SQLAlchemy hands a
type for each value), set once by :class:`storage.database.Database`: each database has its own,
and nothing is global.

Rows written before encryption existed are read as they are, and ``cadence db upgrade`` and
``cadence secrets rotate`` encrypt them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_KEY_VARIABLE = "CADENCE_SECRET_KEY"
TEXT_PREFIX = "fernet:"
JSON_KEY = "fernet"
DIALECT_ATTRIBUTE = "cadence_secret_box"


class SecretKeyError(ValueError):
    """No key can encrypt or decrypt a secret; the message says what to set."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> list[str]:
    """``CADENCE_SECRET_KEY``'s keys, newest first; a key that isn't one is named by its position."""
    keys = [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    if not keys:
        raise SecretKeyError(f"{SECRET_KEY_VARIABLE} is empty; make a key with `cadence secrets new-key`")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError as error:
            raise SecretKeyError(
                f"{SECRET_KEY_VARIABLE}'s key number {position} is not a Fernet key (32 bytes, url-safe base64); "
                "make one with `cadence secrets new-key`"
            ) from error
    return keys


class SecretBox:
    """Encrypts with the first key, decrypts with any; ``None`` keys: every use says what to set."""

    def __init__(self, keys: Sequence[str] | None, source: str, missing: str = "") -> None:
        self.keys = list(keys or [])
        self.source = source  # where the keys came from, for the operator: "CADENCE_SECRET_KEY", a file
        self.missing = missing
        self.fernet = MultiFernet([Fernet(key.encode()) for key in self.keys]) if self.keys else None

    @property
    def available(self) -> bool:
        return self.fernet is not None

    def _fernet(self) -> MultiFernet:
        if self.fernet is None:
            raise SecretKeyError(self.missing or f"no secret key; set {SECRET_KEY_VARIABLE}")
        return self.fernet

    def encrypt(self, plain: bytes) -> str:
        return self._fernet().encrypt(plain).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet().decrypt(token.encode("ascii"))
        except InvalidToken as error:
            raise SecretKeyError(
                f"a secret in the database was encrypted with a key that {self.source} doesn't hold; "
                f"put the old key after the new one in {SECRET_KEY_VARIABLE} (new,old) and run `cadence secrets rotate`"
            ) from error

    def rotate(self, token: str) -> str:
        """The same secret under the first key (a token already under it is made again, harmlessly)."""
        try:
            return self._fernet().rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise SecretKeyError(
                f"a secret in the database was encrypted with a key that {self.source} doesn't hold; "
                "keep the old key after the new one until the rotation is done"
            ) from error


def key_file_for(database: str) -> Path:
    return Path(f"{database}.key")


def read_or_make_key_file(path: Path) -> list[str]:
    """The keys in ``path`` (newest first, one per line), making the file with a new key when it
    doesn't exist: created readable by its owner only, and never overwritten."""
    try:
        return parse_keys(path.read_text())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return parse_keys(path.read_text())
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return [key]


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Replace the key file's keys, atomically, keeping it readable by its owner only."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("".join(key + "\n" for key in keys))
    temporary.replace(path)


def box_for(url: sa.URL, configured: str | None) -> SecretBox:
    """The keys a database's secrets are under, as the module docstring orders them."""
    if configured:
        return SecretBox(parse_keys(configured), SECRET_KEY_VARIABLE)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            path = key_file_for(str(Path(url.database).expanduser()))
            return SecretBox(read_or_make_key_file(path), str(path))
        return SecretBox([new_key()], "this process's own key")
    return SecretBox(
        None,
        SECRET_KEY_VARIABLE,
        missing=(
            f"{SECRET_KEY_VARIABLE} is not set, and Cadence keeps tokens and private notes encrypted in "
            f"PostgreSQL with it; make a key with `cadence secrets new-key` and set {SECRET_KEY_VARIABLE} to it"
        ),
    )


def box_of(dialect: sa.Dialect) -> SecretBox:
    box = getattr(dialect, DIALECT_ATTRIBUTE, None)
    if box is None:
        raise SecretKeyError("this database connection was made without Cadence's secret key (use storage.Database)")
    return box


class Encrypted(sa.types.TypeDecorator):
    """A column kept encrypted; each kind says how a value is sealed and how a sealed one is
    recognised, and the rest (reading, writing, rotating, upgrading old rows) follows from that."""

    cache_ok = True

    def seal(self, value: Any, box: SecretBox) -> Any:
        raise NotImplementedError

    def sealed(self, stored: Any) -> bool:
        raise NotImplementedError

    def token(self, stored: Any) -> str:
        raise NotImplementedError

    def wrap(self, token: str) -> Any:
        raise NotImplementedError

    def unseal(self, plain: bytes) -> Any:
        raise NotImplementedError

    def plain_clause(self, stored: sa.ColumnElement) -> sa.ColumnElement[bool]:
        """Stored values from before encryption, as SQL: what an upgrade has to encrypt."""
        raise NotImplementedError

    def resealed(self, stored: Any, box: SecretBox) -> Any:
        """``stored`` under the box's first key: a sealed value rotated, a plain one (from before encryption) sealed."""
        return self.wrap(box.rotate(self.token(stored))) if self.sealed(stored) else self.seal(stored, box)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else self.seal(value, box_of(dialect))

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or not self.sealed(value):
            return value
        return self.unseal(box_of(dialect).decrypt(self.token(value)))


class EncryptedText(Encrypted):
    """Text stored as ``fernet:<token>``; text written before encryption reads as it was."""

    impl = sa.Text
    cache_ok = True

    def seal(self, value: str, box: SecretBox) -> str:
        return self.wrap(box.encrypt(value.encode("utf-8")))

    def sealed(self, stored: Any) -> bool:
        return isinstance(stored, str) and stored.startswith(TEXT_PREFIX)

    def token(self, stored: str) -> str:
        return stored.removeprefix(TEXT_PREFIX)

    def wrap(self, token: str) -> str:
        return TEXT_PREFIX + token

    def unseal(self, plain: bytes) -> str:
        return plain.decode("utf-8")

    def plain_clause(self, stored: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return sa.not_(stored.startswith(TEXT_PREFIX, autoescape=True))


class EncryptedJSON(Encrypted):
    """A JSON document stored as ``{"fernet": "<token>"}``, so the column stays JSON on both
    databases; a document written before encryption reads as it was."""

    impl = sa.JSON
    cache_ok = True

    def seal(self, value: Any, box: SecretBox) -> dict[str, str]:
        plain = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
        return self.wrap(box.encrypt(plain))

    def sealed(self, stored: Any) -> bool:
        return isinstance(stored, dict) and len(stored) == 1 and isinstance(stored.get(JSON_KEY), str)

    def token(self, stored: dict[str, str]) -> str:
        return stored[JSON_KEY]

    def wrap(self, token: str) -> dict[str, str]:
        return {JSON_KEY: token}

    def unseal(self, plain: bytes) -> Any:
        return json.loads(plain)

    def plain_clause(self, stored: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return stored[JSON_KEY].as_string().is_(None)


@dataclass(frozen=True)
class EncryptedColumn:
    table: sa.Table
    column: sa.Column

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def encrypted_columns(metadata: sa.MetaData) -> list[EncryptedColumn]:
    """Every column of the schema whose type encrypts, found from the types so none is missed."""
    return [
        EncryptedColumn(table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]


def _batches(
    connection: sa.Connection, column: EncryptedColumn, stored: sa.ColumnElement, only_plain: bool, batch_size: int
) -> Iterator[list[sa.Row]]:
    (key,) = column.table.primary_key.columns
    wanted = [column.column.is_not(None)]
    if only_plain:
        wanted.append(column.column.type.plain_clause(stored))
    last = None
    while True:
        query = sa.select(key, stored).where(*wanted).order_by(key).limit(batch_size)
        if last is not None:
            query = query.where(key > last)
        rows = list(connection.execute(query))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rewrite_all(
    engine: sa.Engine, metadata: sa.MetaData, box: SecretBox, *, only_plain: bool, batch_size: int = 500
) -> dict[str, int]:
    """Put every encrypted column's values under the box's first key, a batch per transaction so no
    table is locked for long; ``only_plain`` touches only values from before encryption (what an
    upgrade needs, picked in SQL so an up-to-date table costs one query), otherwise every value (a
    key rotation). Returns the rows rewritten per column."""
    rewritten: dict[str, int] = {}
    for column in encrypted_columns(metadata):
        kind: Encrypted = column.column.type
        (key,) = column.table.primary_key.columns
        stored = sa.type_coerce(column.column, kind.impl)  # the stored value, without the type decrypting it
        statement = (
            sa.update(column.table)
            .where(key == sa.bindparam("row_key"))
            .values({column.column.name: sa.bindparam("stored", type_=kind.impl)})
        )
        count = 0
        with engine.connect() as connection:
            for rows in _batches(connection, column, stored, only_plain, batch_size):
                changes = [{"row_key": row[0], "stored": kind.resealed(row[1], box)} for row in rows]
                connection.execute(statement, changes)
                connection.commit()
                count += len(changes)
        rewritten[column.name] = count
    return rewritten
