"""Builds aweigh's components from Settings: the only place that picks backends.

Backends are chosen by URL scheme; optional dependencies (psycopg, fsspec backends)
are imported only when their scheme is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aweigh.core.errors import ConfigError, StoreURLError
from aweigh.registry.service import Registry
from aweigh.settings import Settings
from aweigh.storage.artifacts.base import ArtifactStore
from aweigh.storage.base import MetadataStore
from aweigh.storage.events.base import EventLog, EventReader

if TYPE_CHECKING:
    from aweigh.lifecycle.monitoring import MonitorConfig, MonitorService
    from aweigh.lifecycle.privacy import PrivacyService
    from aweigh.storage.quarantine import QuarantineStore

SQL_SCHEMES = ("sqlite", "postgresql", "postgres")


def build_store(url: str, *, busy_timeout_s: float = 5.0) -> MetadataStore:
    """A metadata store for ``memory://``, ``sqlite:///...`` or ``postgresql://...``."""
    if not isinstance(url, str) or not url.strip():
        raise StoreURLError(
            "The store URL is empty. Set AWEIGH_STORE_URL, e.g. "
            "'sqlite:///./.aweigh/aweigh.db', or leave it unset for the default."
        )
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    if scheme == "memory":
        from aweigh.storage.memory import MemoryStore

        return MemoryStore()
    if scheme in SQL_SCHEMES:
        from aweigh.storage.sql.store import SqlStore

        return SqlStore(url, busy_timeout_s=busy_timeout_s)
    from aweigh.storage.sql.engine import safe_url

    raise StoreURLError(
        f"Cannot use the store URL {safe_url(url)!r}: the scheme must be memory://, "
        "sqlite:/// or postgresql://.",
        {"url": safe_url(url)},
    )


def build_artifacts(url: str, *, cache_dir: Path) -> ArtifactStore:
    """A local folder for plain paths and ``file://``; fsspec for any other scheme."""
    if not isinstance(url, str) or not url.strip():
        raise StoreURLError(
            "The artifacts URL is empty. Set AWEIGH_ARTIFACTS_URL to a folder "
            "or an fsspec URL, or leave it unset for the default."
        )
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme in ("", "file"):
        from aweigh.storage.artifacts.local import LocalArtifactStore

        return LocalArtifactStore(url[len("file://") :] if scheme == "file" else url)
    from aweigh.storage.artifacts.fsspec_store import FsspecArtifactStore

    return FsspecArtifactStore(url, cache_dir=cache_dir)


def build_event_log(settings: Settings) -> EventLog:
    """The prediction/feedback event log: Parquet segments under a local folder."""
    from aweigh.storage.events.parquet import ParquetEventLog

    url = settings.resolved_events_url
    if "://" in url and not url.startswith("file://"):
        raise StoreURLError(
            f"The events URL {url!r} must be a local folder for now "
            "(set AWEIGH_EVENTS_URL to a path)."
        )
    return ParquetEventLog(
        url.removeprefix("file://"),
        flush_interval_s=settings.events_flush_interval_s,
        max_queue=settings.events_max_queue,
    )


def build_quarantine(settings: Settings) -> QuarantineStore:
    """The dead-letter store for rows that failed batch validation."""
    from aweigh.storage.quarantine import QuarantineStore

    return QuarantineStore(settings.home / "quarantine")


def privacy_secret(settings: Settings) -> bytes:
    """The key for hashing subject ids and PII and signing receipts.

    From ``AWEIGH_PRIVACY_SECRET`` when set; otherwise a random key made once and kept in
    ``<home>/secret.key`` (mode 0600). Losing it makes old hashes unmatchable: back it up.
    """
    if settings.privacy_secret is not None:
        return settings.privacy_secret.get_secret_value().encode()
    path = settings.home / "secret.key"
    if not path.exists():
        import os
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def build_privacy(
    settings: Settings, registry: Registry, event_log: EventLog | None
) -> PrivacyService:
    """The service that answers erasure, access and retention requests."""
    from aweigh.lifecycle.privacy import PrivacyService

    return PrivacyService(
        registry=registry,
        event_log=event_log,
        secret=privacy_secret(settings),
        receipts_dir=settings.home / "receipts",
        actor=settings.user,
        retention_days=settings.retention_days,
        retention_per_model=dict(settings.retention_per_model),
    )


def build_registry(settings: Settings) -> Registry:
    """The registry wired to the stores the settings name."""
    store = build_store(settings.resolved_store_url, busy_timeout_s=settings.store_busy_timeout_s)
    artifacts = build_artifacts(
        settings.resolved_artifacts_url, cache_dir=settings.home / "cache" / "artifacts"
    )
    return Registry(
        store,
        artifacts,
        actor=settings.user,
        subject_field=settings.subject_field,
        secret=privacy_secret(settings),
    )


def monitor_config(settings: Settings) -> MonitorConfig:
    """The monitor's settings (window, label horizon, alpha, segments, fairness)."""
    from aweigh.lifecycle.monitoring import MonitorConfig

    return MonitorConfig(
        window_s=settings.monitor_window_s,
        label_horizon_s=settings.monitor_label_horizon_s,
        alpha=settings.monitor_alpha,
        reference_events=settings.monitor_reference_events,
        segments={k: tuple(v) for k, v in settings.monitor_segments.items()},
        fairness={k: dict(v) for k, v in settings.monitor_fairness.items()},
    )


def build_monitor(
    settings: Settings, store: MetadataStore, events: EventReader | None = None
) -> MonitorService:
    """The monitor service over ``events`` (default: a read-only reader of the events
    folder, safe beside a running server) with the configured alert rules and sinks."""
    from aweigh.lifecycle.monitoring import DEFAULT_ALERT_RULES, MonitorService
    from aweigh.monitor.alerts import AlertEngine, parse_rules
    from aweigh.monitor.sinks import parse_sinks

    alerts = settings.alerts
    unknown = set(alerts) - {"rules", "sinks"}
    if unknown:
        raise ConfigError(
            f"alerts has unknown key(s) {', '.join(sorted(unknown))}; use [[alerts.rules]] "
            "and [[alerts.sinks]]."
        )
    rules = parse_rules(alerts.get("rules") or list(DEFAULT_ALERT_RULES))
    if events is None:
        from aweigh.storage.events.reader import SegmentReader

        events = SegmentReader(settings.resolved_events_url.removeprefix("file://"))
    return MonitorService(
        store,
        events,
        config=monitor_config(settings),
        engine=AlertEngine(rules),
        sinks=parse_sinks(alerts.get("sinks")),
    )
