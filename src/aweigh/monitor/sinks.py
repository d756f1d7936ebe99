"""Where alert transitions go: a log line, or a JSON POST to a webhook.

This is the one module of ``aweigh.monitor`` that does I/O, and only to the URL it is
configured with. ``WebhookSink.send`` never blocks its caller (a serving process or
the monitoring loop): it appends to a bounded queue (when full, the oldest waiting
alert is dropped and counted) and a daemon thread POSTs, retrying 5xx answers,
timeouts and connection errors with exponential backoff, then gives up and logs.
``close`` flushes what is queued, for at most its timeout.

Sinks are configured as ``[[alerts.sinks]]`` tables (``parse_sinks``)::

    [[alerts.sinks]]
    type = "webhook"
    url = "https://hooks.example.com/aweigh"
    min_severity = "critical"      # optional: only critical alerts go here
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from aweigh.core.entities import ALERT_SEVERITIES
from aweigh.core.errors import ConfigError
from aweigh.monitor.alerts import AlertTransition

log = logging.getLogger("aweigh.alerts")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}
_RETRY_STATUS = frozenset({408, 425, 429})


class AlertSink(Protocol):
    """Anything alert transitions can be sent to."""

    def send(self, transition: AlertTransition) -> None:
        """Deliver (or queue) one transition; must not raise or block for long."""

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued, for at most ``timeout_s``, and stop."""


class LogSink:
    """One structured log line per transition (ERROR for critical, WARNING, INFO)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

    def send(self, transition: AlertTransition) -> None:
        a = transition.alert
        level = (
            _LEVELS.get(a.severity, logging.WARNING)
            if transition.state == "firing"
            else logging.INFO
        )
        target = a.model if a.version is None else f"{a.model}/{a.version}"
        self.logger.log(
            level,
            "alert %s severity=%s rule=%s model=%s metric=%s value=%s id=%s: %s",
            transition.state,
            a.severity,
            a.rule,
            target,
            a.metric,
            "none" if a.value is None else f"{a.value:.6g}",
            a.id,
            a.message,
            extra={"alert": transition.to_dict()},
        )

    def close(self, timeout_s: float = 5.0) -> None:
        """Nothing to flush."""


@dataclass(frozen=True, slots=True)
class SinkStats:
    """What a webhook sink did: delivered, gave up on, dropped unsent, retry attempts."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    retried: int = 0
    queued: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class WebhookSink:
    """POSTs each transition as JSON to ``url`` from a background thread."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 2.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        queue_size: int = 1000,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = _check_url(url)
        self.timeout_s = _number(timeout_s, "timeout_s", minimum=0.0, strict=True)
        self.retries = _whole(retries, "retries", minimum=0)
        self.backoff_s = _number(backoff_s, "backoff_s", minimum=0.0)
        self.queue_size = _whole(queue_size, "queue_size", minimum=1)
        if headers is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ConfigError(
                "The webhook's headers must map strings to strings.", {"field": "headers"}
            )
        self.headers = {"content-type": "application/json", **(headers or {})}
        self._host = httpx.URL(self.url).host
        self._queue: deque[AlertTransition] = deque()
        self._cond = threading.Condition()
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._busy = False
        self._counts = {"sent": 0, "failed": 0, "dropped": 0, "retried": 0}

    def send(self, transition: AlertTransition) -> None:
        """Queue the transition and return at once (never blocks, never raises)."""
        with self._cond:
            if self._closing:
                self._counts["dropped"] += 1
                return
            if len(self._queue) >= self.queue_size:
                self._queue.popleft()
                self._counts["dropped"] += 1
            self._queue.append(transition)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"aweigh-webhook-{self._host}", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until nothing is queued or in flight; False if ``timeout_s`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued for at most ``timeout_s``; drop (and count) the rest."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        if thread is None or thread.is_alive():
            self._abort.set()
            with self._cond:
                self._counts["dropped"] += len(self._queue)
                self._queue.clear()
                self._cond.notify_all()

    def stats(self) -> SinkStats:
        with self._cond:
            return SinkStats(**self._counts, queued=len(self._queue))

    # -- the delivery thread -------------------------------------------------------------
    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s, headers=self.headers) as client:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._queue or self._closing)
                    if not self._queue:
                        return
                    transition = self._queue.popleft()
                    self._busy = True
                try:
                    self._deliver(client, transition)
                except Exception:  # a bug here must not kill the thread and stall alerts
                    log.exception("webhook %s: unexpected error sending an alert", self._host)
                    self._count("failed")
                finally:
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()

    def _deliver(self, client: httpx.Client, transition: AlertTransition) -> None:
        body = json.dumps(transition.to_dict(), default=str).encode()
        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._count("retried")
                if self._abort.wait(self.backoff_s * 2 ** (attempt - 1)):
                    break
            try:
                answer = client.post(self.url, content=body)
            except httpx.TimeoutException:
                reason = f"no answer within {self.timeout_s:g} s"
                continue
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
                continue
            if answer.is_success:
                self._count("sent")
                return
            reason = f"HTTP {answer.status_code}"
            if answer.status_code < 500 and answer.status_code not in _RETRY_STATUS:
                break  # the receiver refuses this request: retrying cannot help
        self._count("failed")
        log.warning(
            "webhook %s: gave up on alert %s (%s %s) after %d attempt(s): %s",
            self._host,
            transition.alert.id,
            transition.state,
            transition.alert.rule,
            attempt + 1,
            reason,
        )

    def _count(self, what: str) -> None:
        with self._cond:
            self._counts[what] += 1


class SeverityFilter:
    """Passes on only transitions of alerts at or above ``min_severity``."""

    def __init__(self, sink: AlertSink, min_severity: str) -> None:
        if min_severity not in ALERT_SEVERITIES:
            raise ConfigError(
                f"min_severity must be one of {', '.join(ALERT_SEVERITIES)}; got {min_severity!r}.",
                {"field": "min_severity"},
            )
        self.sink = sink
        self._floor = ALERT_SEVERITIES.index(min_severity)

    def send(self, transition: AlertTransition) -> None:
        if ALERT_SEVERITIES.index(transition.alert.severity) >= self._floor:
            self.sink.send(transition)

    def close(self, timeout_s: float = 5.0) -> None:
        self.sink.close(timeout_s)


def parse_sinks(raw: Sequence[Mapping[str, Any]] | None) -> list[AlertSink]:
    """Sinks from ``[[alerts.sinks]]`` tables; none configured means one ``LogSink``."""
    if not raw:
        return [LogSink()]
    sinks: list[AlertSink] = []
    for index, item in enumerate(raw):
        where = f"alerts.sinks[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: a sink must be a table with a 'type'.", {"index": index})
        options = dict(item)
        kind = options.pop("type", None)
        floor = options.pop("min_severity", None)
        try:
            if kind == "log":
                if options:
                    raise ConfigError(f"unknown field(s) {', '.join(sorted(options))}.")
                sink: AlertSink = LogSink()
            elif kind == "webhook":
                if "url" not in options:
                    raise ConfigError("field 'url' is missing.")
                sink = WebhookSink(**options)
            else:
                raise ConfigError(f"field 'type' must be 'log' or 'webhook'; got {kind!r}.")
            sinks.append(SeverityFilter(sink, floor) if floor is not None else sink)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc.message}", {"index": index, **exc.details}) from exc
        except TypeError as exc:
            raise ConfigError(
                f"{where}: {exc}; a webhook takes url, timeout_s, retries, backoff_s, "
                "queue_size, headers, min_severity.",
                {"index": index},
            ) from exc
    return sinks


def _check_url(url: Any) -> str:
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else None
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        shown = httpx.URL(url).copy_with(query=None) if parsed is not None else url
        raise ConfigError(
            f"The webhook URL must be http:// or https:// with a host; got {str(shown)!r}.",
            {"field": "url"},
        )
    return str(url)


def _number(value: Any, name: str, *, minimum: float, strict: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or value < minimum or (strict and value == minimum) or value != value:
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ConfigError(
            f"The webhook's {name} must be a number {bound}; got {value!r}.", {"field": name}
        )
    return float(value)


def _whole(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"The webhook's {name} must be a whole number >= {minimum}; got {value!r}.",
            {"field": name},
        )
    return value
