"""Alert sinks against a real HTTP receiver on 127.0.0.1: payloads, retries, a receiver
that answers 500 or hangs, a full queue, and a log sink."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from aweigh.core.entities import AlertRecord
from aweigh.core.errors import ConfigError
from aweigh.monitor.alerts import AlertTransition
from aweigh.monitor.sinks import LogSink, SeverityFilter, WebhookSink, parse_sinks

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Receiver:
    """An HTTP server that records JSON bodies; answers ``fail`` times with ``status``
    first, or holds each request until ``release`` is set (``hold=True``)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.requests = 0
        self.fail = 0
        self.status = 500
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.requests += 1
                    failing = receiver.fail > 0
                    receiver.fail -= 1 if failing else 0
                receiver.arrived.set()
                if receiver.hold:
                    receiver.release.wait(10)
                if failing:
                    self.send_response(receiver.status)
                else:
                    with receiver.lock:
                        receiver.bodies.append(json.loads(body))
                        receiver.headers.append(dict(self.headers))
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/aweigh?token=secret"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def transition(n: int = 0, severity: str = "critical", state: str = "firing") -> AlertTransition:
    alert = AlertRecord(
        id=f"alert-{n}",
        key="errors-high|churn|3|serving.error_rate",
        rule="errors-high",
        model="churn",
        version=3,
        metric="serving.error_rate",
        severity=severity,
        state=state,
        value=0.12,
        condition="> 0.05",
        message="serving.error_rate is 0.12 (> 0.05) on churn/3",
        started_at=T0,
        updated_at=T0,
        resolved_at=T0 if state == "resolved" else None,
        labels={"route": "/v1/predict"},
    )
    return AlertTransition(state, alert)


def test_a_transition_is_posted_as_json_with_headers(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url, headers={"authorization": "Bearer t0k3n"})
    sink.send(transition())
    assert sink.flush(5)
    sink.close()
    [body] = receiver.bodies
    assert body == transition().to_dict()
    assert body["state"] == "firing"
    assert body["alert"]["started_at"] == "2026-03-01T12:00:00+00:00"
    assert receiver.headers[0]["content-type"] == "application/json"
    assert receiver.headers[0]["authorization"] == "Bearer t0k3n"
    assert sink.stats().to_dict() == {
        "sent": 1,
        "failed": 0,
        "dropped": 0,
        "retried": 0,
        "queued": 0,
    }


def test_a_receiver_answering_500_is_retried_until_it_accepts(receiver: Receiver) -> None:
    receiver.fail = 2
    sink = WebhookSink(receiver.url, retries=3, backoff_s=0.01)
    sink.send(transition())
    sink.close(5)
    assert receiver.requests == 3
    assert len(receiver.bodies) == 1
    stats = sink.stats()
    assert (stats.sent, stats.retried, stats.failed) == (1, 2, 0)


def test_a_receiver_that_keeps_failing_is_given_up_on_and_logged(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail = 100
    sink = WebhookSink(receiver.url, retries=2, backoff_s=0.01)
    with caplog.at_level(logging.WARNING, logger="aweigh.alerts"):
        sink.send(transition())
        sink.close(5)
    assert receiver.requests == 3
    assert (sink.stats().failed, sink.stats().retried) == (1, 2)
    [record] = caplog.records
    assert "gave up on alert alert-0 (firing errors-high) after 3 attempt(s): HTTP 500" in (
        record.getMessage()
    )
    assert "secret" not in record.getMessage()  # the URL's token is never logged


def test_a_refusal_4xx_is_not_retried(receiver: Receiver) -> None:
    receiver.fail, receiver.status = 1, 400
    sink = WebhookSink(receiver.url, retries=3, backoff_s=0.01)
    sink.send(transition())
    sink.close(5)
    assert receiver.requests == 1
    assert (sink.stats().failed, sink.stats().retried) == (1, 0)


def test_a_hanging_receiver_never_blocks_send(receiver: Receiver) -> None:
    receiver.hold = True
    sink = WebhookSink(receiver.url, timeout_s=0.2, retries=1, backoff_s=0.01, queue_size=5)
    slowest = 0.0
    for n in range(20):
        started = time.perf_counter()
        sink.send(transition(n))
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 0.05
    assert receiver.arrived.wait(5)
    started = time.perf_counter()
    sink.close(timeout_s=0.5)
    assert time.perf_counter() - started < 1.5
    stats = sink.stats()
    assert stats.dropped >= 14  # the queue holds 5; the rest were dropped, oldest first
    assert stats.sent == 0
    assert stats.sent + stats.failed + stats.dropped <= 20


def test_timeouts_are_retried_then_given_up(receiver: Receiver) -> None:
    receiver.hold = True
    sink = WebhookSink(receiver.url, timeout_s=0.1, retries=2, backoff_s=0.01)
    sink.send(transition())
    assert sink.flush(5)
    receiver.release.set()
    sink.close(5)
    stats = sink.stats()
    assert (stats.failed, stats.retried, stats.sent) == (1, 2, 0)


def test_an_unreachable_receiver_is_retried_then_given_up() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = WebhookSink(f"http://127.0.0.1:{port}/", retries=2, backoff_s=0.01)
    sink.send(transition())
    sink.close(5)
    assert (sink.stats().failed, sink.stats().retried) == (1, 2)


def test_a_full_queue_drops_the_oldest_waiting_alerts(receiver: Receiver) -> None:
    receiver.hold = True
    sink = WebhookSink(receiver.url, timeout_s=5, queue_size=2)
    sink.send(transition(0))
    assert receiver.arrived.wait(5)  # alert-0 is in flight, the queue is empty
    for n in range(1, 5):
        sink.send(transition(n))
    assert sink.stats().dropped == 2
    receiver.release.set()
    sink.close(5)
    assert [b["alert"]["id"] for b in receiver.bodies] == ["alert-0", "alert-3", "alert-4"]


def test_alerts_sent_after_close_are_counted_as_dropped(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url)
    sink.close()
    sink.send(transition())
    assert sink.stats().dropped == 1
    assert receiver.requests == 0


def test_the_log_sink_writes_one_line_at_the_alert_s_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = LogSink()
    with caplog.at_level(logging.INFO, logger="aweigh.alerts"):
        sink.send(transition(severity="critical"))
        sink.send(transition(severity="info", state="resolved"))
    firing, resolved = caplog.records
    assert firing.levelno == logging.ERROR
    assert firing.getMessage() == (
        "alert firing severity=critical rule=errors-high model=churn/3 "
        "metric=serving.error_rate value=0.12 id=alert-0: "
        "serving.error_rate is 0.12 (> 0.05) on churn/3"
    )
    assert firing.alert["alert"]["id"] == "alert-0"  # type: ignore[attr-defined]
    assert resolved.levelno == logging.INFO


def test_a_severity_filter_passes_only_loud_enough_alerts(receiver: Receiver) -> None:
    [sink] = parse_sinks([{"type": "webhook", "url": receiver.url, "min_severity": "critical"}])
    assert isinstance(sink, SeverityFilter)
    sink.send(transition(1, severity="warning"))
    sink.send(transition(2, severity="critical"))
    sink.close(5)
    assert [b["alert"]["id"] for b in receiver.bodies] == ["alert-2"]


def test_no_configured_sink_means_the_log() -> None:
    [sink] = parse_sinks(None)
    assert isinstance(sink, LogSink)


# -- bad configuration -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://example.com/x"}, "must be http:// or https:// with a host"),
        ({"url": "hooks.example.com"}, "must be http:// or https:// with a host"),
        ({"url": "http://h/", "timeout_s": 0}, "timeout_s must be a number > 0"),
        ({"url": "http://h/", "retries": -1}, "retries must be a whole number >= 0"),
        ({"url": "http://h/", "backoff_s": -0.5}, "backoff_s must be a number >= 0"),
        ({"url": "http://h/", "queue_size": 0}, "queue_size must be a whole number >= 1"),
        ({"url": "http://h/", "headers": {"x": 1}}, "headers must map strings to strings"),
    ],
)
def test_a_misconfigured_webhook_is_a_config_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WebhookSink(**options)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"type": "pager"}], r"alerts.sinks\[0\]: field 'type' must be 'log' or 'webhook'"),
        ([{"type": "webhook"}], r"alerts.sinks\[0\]: field 'url' is missing"),
        ([{"type": "webhook", "url": "http://h/", "timeout": 1}], r"alerts.sinks\[0\]: .*timeout"),
        ([{"type": "log", "min_severity": "loud"}], r"alerts.sinks\[0\]: min_severity must be"),
        ([{"type": "log", "level": "debug"}], r"alerts.sinks\[0\]: unknown field\(s\) level"),
        (["log"], r"alerts.sinks\[0\]: a sink must be a table"),
    ],
)
def test_misconfigured_sinks_are_named_by_place(raw: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_sinks(raw)
