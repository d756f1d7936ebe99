"""Engines for SQLite and PostgreSQL, and the mapping of database errors to aweigh's.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so two writers never interleave: the second waits up to the
busy timeout, then gets ``StoreLockedError``. PostgreSQL gets a connect timeout
and a lock timeout so a stuck peer turns into a clear error, not a hang.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)

from aweigh.core.errors import (
    AweighError,
    ConflictError,
    MissingDependencyError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    StoreURLError,
)

_LOCKED_HINTS = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "canceling statement due to lock timeout",
    "could not obtain lock",
)


def safe_url(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***`` (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        text = str(url)
        if "@" in text and "://" in text:
            scheme, rest = text.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return text


def parse_url(url: str) -> URL:
    """Parse a SQL URL and normalise the driver (``postgresql://`` uses psycopg 3)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreURLError(
            f"Cannot parse the store URL {safe_url(url)!r}: {exc}. Use e.g. "
            "'sqlite:///./.aweigh/aweigh.db' or 'postgresql://user:pass@host:5432/db'.",
            {"url": safe_url(url)},
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreURLError(
            f"The store URL {safe_url(url)!r} names the database "
            f"{parsed.get_backend_name()!r}; aweigh supports sqlite:// and postgresql://.",
            {"url": safe_url(url)},
        )
    return parsed


def build_engine(url: str, *, busy_timeout_s: float = 5.0, pool_size: int = 5) -> Engine:
    """An engine with aweigh's connection settings for the URL's database."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, busy_timeout_s)
        return _postgres_engine(parsed, busy_timeout_s, pool_size)
    except NoSuchModuleError as exc:
        raise StoreURLError(f"Unknown database driver in {safe_url(url)!r}: {exc}.") from exc
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            f"The store URL {safe_url(url)!r} needs the PostgreSQL driver: "
            "pip install 'aweigh[postgres]'.",
            {"missing": exc.name},
        ) from exc


def _sqlite_engine(url: URL, busy_timeout_s: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailableError(
                f"Cannot create the folder {str(folder)!r} for the SQLite store "
                f"{safe_url(url)!r}: {exc.strerror or exc}. Choose a writable path in "
                "AWEIGH_STORE_URL or AWEIGH_HOME.",
                {"url": safe_url(url)},
            ) from exc
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # aweigh issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: URL, busy_timeout_s: float, pool_size: int) -> Engine:
    import psycopg  # noqa: F401 - fail early with MissingDependencyError

    lock_ms = int(busy_timeout_s * 1000)
    return create_engine(
        url,
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": max(1, int(busy_timeout_s)),
            "options": f"-c lock_timeout={lock_ms}",
            "application_name": "aweigh",
        },
    )


def map_db_error(exc: SQLAlchemyError, url: str) -> AweighError:
    """Translate a SQLAlchemy/DBAPI error into an aweigh error naming the safe URL."""
    where = safe_url(url)
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if isinstance(exc, IntegrityError):
        return ConflictError(
            f"The metadata store refused a write that conflicts with existing data ({text}). "
            "Another process probably made the same change; read again and retry.",
            {"url": where},
        )
    if any(hint in text.lower() for hint in _LOCKED_HINTS):
        return StoreLockedError(
            f"The metadata store at {where} is locked by another process ({text}). "
            "Retry shortly, or raise AWEIGH_STORE_BUSY_TIMEOUT_S.",
            {"url": where},
        )
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _is_connection_error(exc)):
        return StoreUnavailableError(
            f"Lost or could not open the connection to the metadata store at {where} ({text}). "
            "Check that the database server is running and AWEIGH_STORE_URL is right; "
            "nothing was written by the failed call.",
            {"url": where},
        )
    return StoreError(
        f"The metadata store at {where} failed ({type(exc).__name__}: {text}). "
        "Nothing was written by the failed call; check the database logs.",
        {"url": where},
    )


def _is_connection_error(exc: DBAPIError) -> bool:
    orig = exc.orig
    name = type(orig).__name__ if orig is not None else ""
    if name in ("OperationalError", "InterfaceError"):
        text = str(orig).lower()
        return any(
            word in text
            for word in (
                "connect",
                "connection",
                "terminat",
                "server closed",
                "unable to open",
                "no such file",
                "disk i/o",
                "readonly",
                "shut down",
                "refused",
            )
        )
    return False
