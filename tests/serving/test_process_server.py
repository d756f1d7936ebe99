"""The real server: ``aweigh serve`` in a subprocess, driven over loopback like production.

One shared server (admin key set) answers the records API, the Open Inference Protocol
(through an unchanged ``tritonclient``), ``/metrics``, admin routes and a slow model
whose clients give up. Other tests start their own server: 2,000 connections at once,
``kill -9`` under load, a tampered artifact, and ``--workers 2``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.serving._process_support import (
    AWEIGH,
    Server,
    Trained,
    columns,
    events_on_disk,
    records,
    registry_at,
    running_server,
    slow_model,
    start_server,
    train_models,
    which_promtool,
)

pytestmark = pytest.mark.slow

ADMIN_KEY = "secret"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
SLOW_S = 1.0  # long enough for queued requests to arrive and give up meanwhile
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _one_openmp_thread() -> Iterator[None]:
    """In-memory predictions in this process use one OpenMP thread (see train_models)."""
    import sklearn.ensemble  # noqa: F401  # load the OpenMP runtime first, so the limit reaches it
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def trained(adult_train: pd.DataFrame) -> Trained:
    return train_models(adult_train)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> Path:
    home = tmp_path_factory.mktemp("process-shared") / "home"
    adult_sample = trained.adult_features.head(200)
    cancer_sample = trained.cancer_features.head(50)
    with registry_at(home) as registry:
        registry.register(trained.adult, "adult", sample=adult_sample)
        registry.register(trained.adult, "adult", sample=adult_sample, alias="champion")
        registry.register(trained.cancer, "cancer", sample=cancer_sample, alias="champion")
        registry.register(trained.cancer, "cancer-admin", sample=cancer_sample)
        registry.register(
            trained.cancer_other, "cancer-admin", sample=cancer_sample, alias="champion"
        )
        registry.register(
            slow_model(SLOW_S),
            "slow",
            sample=pd.DataFrame({"x": [1.0, 2.0]}),
            task="regression",
        )
    return home


@pytest.fixture(scope="module")
def server(shared_home: Path) -> Iterator[Server]:
    env = {"AWEIGH_ADMIN_KEY": ADMIN_KEY, "AWEIGH_EVENTS_FLUSH_INTERVAL_S": "0.2"}
    with running_server(shared_home, env=env) as running:
        yield running


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client
    assert server.alive(), f"the server died:\n{server.log_tail()}"


@pytest.fixture
def cancer_home(tmp_path: Path, trained: Trained) -> Path:
    """A fresh home with the breast_cancer model as ``cancer``."""
    home = tmp_path / "home"
    with registry_at(home) as registry:
        registry.register(
            trained.cancer, "cancer", sample=trained.cancer_features.head(50), alias="champion"
        )
    return home


def adult_rows(trained: Trained, count: int = 200) -> pd.DataFrame:
    """Real Adult rows (without ``income``), some of them with missing values."""
    features = trained.adult_features
    missing = features.isna().any(axis=1)
    picked = pd.concat([features[missing].head(20), features[~missing].head(count - 20)])
    return picked.sample(frac=1.0, random_state=42)


def cancer_instance(trained: Trained, i: int = 0) -> dict[str, Any]:
    return records(trained.cancer_features.iloc[[i % len(trained.cancer_features)]])[0]


def raw_exchange(port: int, request: bytes, timeout_s: float = 10.0) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        series, _, label_text = head.partition("{")
        if series != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', label_text))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total


# -- 1. the records API -------------------------------------------------------------------
def test_process_records_api_predicts_real_adult_rows(http: httpx.Client, trained: Trained) -> None:
    frame = adult_rows(trained)
    instances = records(frame)
    assert len(instances) == 200
    assert sum(v is None for row in instances for v in row.values()) >= 20  # NaN sent as null

    response = http.post(
        "/v1/models/adult/predict",
        json={"instances": instances},
        headers={"X-Request-ID": "req-42"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["x-request-id"] == "req-42"
    assert body["request_id"] == "req-42"
    assert (body["model"], body["version"]) == ("adult", 2)  # the champion
    assert body["classes"] == ["<=50K", ">50K"]
    assert body["predictions"] == trained.adult.predict(frame).tolist()
    proba = np.asarray(body["probabilities"])
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba, trained.adult.predict_proba(frame), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    columnar = http.post("/v1/models/adult/predict", json={"inputs": columns(frame)})
    assert columnar.status_code == 200, columnar.text
    second = columnar.json()
    assert second["predictions"] == body["predictions"]
    np.testing.assert_allclose(second["probabilities"], proba)
    assert GENERATED_ID.fullmatch(columnar.headers["x-request-id"])
    assert second["request_id"] == columnar.headers["x-request-id"]


def test_process_version_and_alias_pick_the_version(http: httpx.Client, trained: Trained) -> None:
    one = {"instances": records(adult_rows(trained).head(3))}
    for params, version in (
        ({}, 2),
        ({"version": "1"}, 1),
        ({"version": "2"}, 2),
        ({"alias": "champion"}, 2),
    ):
        response = http.post("/v1/models/adult/predict", params=params, json=one)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["version"] == version, params
        assert len(response.json()["predictions"]) == 3


def test_process_hostile_request_ids_are_replaced(
    http: httpx.Client, server: Server, trained: Trained
) -> None:
    one = {"instances": [cancer_instance(trained)]}
    for hostile in ("x" * 500, "a b<script>", "../../etc"):
        response = http.post(
            "/v1/models/cancer/predict", json=one, headers={"X-Request-ID": hostile}
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] != hostile
        assert GENERATED_ID.fullmatch(response.headers["x-request-id"]), hostile
        assert response.json()["request_id"] == response.headers["x-request-id"]

    # A CR/LF in the id cannot smuggle a header: the HTTP parser refuses the request.
    body = b'{"instances": []}'
    for injected in (b"a\r\nb", b"a\nX-Injected: 1", b"a\rb"):
        request = (
            b"POST /v1/models/cancer/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nX-Request-ID: " + injected + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )
        answer = raw_exchange(server.port, request)
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert head.startswith(b"http/1.1 400"), answer[:300]
        assert b"x-injected" not in head
        assert b"\r\nb\r\n" not in head
        assert b"x-request-id: a" not in head
    assert http.post("/v1/models/cancer/predict", json=one).status_code == 200


# -- 2. an unchanged tritonclient ------------------------------------------------------
def test_process_tritonclient_http_works_unchanged(server: Server, trained: Trained) -> None:
    import tritonclient.http as triton

    features = trained.cancer_features.iloc[::7]
    n = len(features)
    expected = trained.cancer.predict(features)
    expected_proba = trained.cancer.predict_proba(features)
    client = triton.InferenceServerClient(url=f"127.0.0.1:{server.port}", network_timeout=30.0)
    try:
        assert client.is_server_live()
        assert client.is_server_ready()
        assert client.is_model_ready("cancer")
        assert client.is_model_ready("cancer", model_version="1")
        assert not client.is_model_ready("no-such-model")

        meta = client.get_model_metadata("cancer")
        assert meta["name"] == "cancer"
        assert [i["name"] for i in meta["inputs"]] == list(features.columns)
        assert len(meta["inputs"]) == 30
        assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
        assert {o["name"] for o in meta["outputs"]} == {"predict", "predict_proba"}
        assert client.get_model_metadata("cancer", model_version="1")["name"] == "cancer"

        wanted = [
            triton.InferRequestedOutput("predict", binary_data=False),
            triton.InferRequestedOutput("predict_proba", binary_data=False),
        ]
        per_column = []
        for name in features.columns:
            tensor = triton.InferInput(name, [n], "FP64")
            tensor.set_data_from_numpy(features[name].to_numpy(np.float64), binary_data=False)
            per_column.append(tensor)
        result = client.infer("cancer", per_column, outputs=wanted, request_id="triton-1")
        assert result.get_response()["id"] == "triton-1"
        np.testing.assert_array_equal(result.as_numpy("predict"), expected)
        proba = result.as_numpy("predict_proba")
        assert proba.shape == (n, 2)
        np.testing.assert_allclose(proba, expected_proba, rtol=1e-9, atol=1e-12)

        matrix = triton.InferInput("features", [n, 30], "FP64")
        matrix.set_data_from_numpy(features.to_numpy(np.float64), binary_data=False)
        result = client.infer("cancer", [matrix], outputs=wanted, model_version="1")
        np.testing.assert_array_equal(result.as_numpy("predict"), expected)
        assert result.as_numpy("predict_proba").shape == (n, 2)
        np.testing.assert_allclose(result.as_numpy("predict_proba"), expected_proba, rtol=1e-9)
    finally:
        client.close()


# -- 3. /metrics ---------------------------------------------------------------------------
def test_process_metrics_pass_promtool(http: httpx.Client, trained: Trained) -> None:
    promtool = which_promtool()
    if promtool is None:
        message = "promtool not found; run ./scripts/ensure-servers.sh (make test does)."
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    for i in range(5):
        ok = http.post(
            "/v1/models/cancer/predict", json={"instances": [cancer_instance(trained, i)]}
        )
        assert ok.status_code == 200, ok.text
    assert http.post("/v1/models/cancer/predict", json={"instances": []}).status_code == 422

    deadline = time.monotonic() + 10
    while True:  # events are appended after each reply: wait until the counter shows them
        text = http.get("/metrics").text
        if metric_value(text, "aweigh_events_total", outcome="appended") >= 5:
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.05)

    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30
    )
    assert checked.returncode == 0, (checked.stdout + checked.stderr).decode()

    assert (
        metric_value(
            text,
            "aweigh_requests_total",
            route="/v1/models/{name}/predict",
            model="cancer",
            version="1",
            status="200",
        )
        >= 5
    )
    assert metric_value(text, "aweigh_requests_total", model="cancer", status="422") >= 1
    assert metric_value(text, "aweigh_request_duration_seconds_count", model="cancer") >= 6
    assert re.search(r"^aweigh_request_duration_seconds_bucket\{.*le=\"\+Inf\"", text, re.M)
    assert metric_value(text, "aweigh_batch_size_rows_count", model="cancer", version="1") >= 5
    assert metric_value(text, "aweigh_batch_size_rows_sum", model="cancer", version="1") >= 5
    for outcome in ("appended", "written", "spooled", "replayed", "dropped"):
        assert re.search(rf'^aweigh_events_total\{{outcome="{outcome}"\}} ', text, re.M), outcome
    assert metric_value(text, "aweigh_events_total", outcome="dropped") == 0


# -- 4. clients that give up ------------------------------------------------------------------
def _slow_batches(http: httpx.Client) -> float:
    return metric_value(
        http.get("/metrics").text, "aweigh_batch_size_rows_count", model="slow", version="1"
    )


def test_process_a_client_that_disconnects_mid_request_leaves_the_server_serving(
    server: Server, http: httpx.Client, trained: Trained
) -> None:
    one = {"instances": [{"x": 1.0}]}
    with (
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0, read=0.1)) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post("/v1/models/slow/predict", json=one)

    response = http.post("/v1/models/slow/predict", json=one)
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [0.0]
    cancer = http.post("/v1/models/cancer/predict", json={"instances": [cancer_instance(trained)]})
    assert cancer.status_code == 200, cancer.text
    assert server.alive()


def test_process_requests_whose_clients_left_never_reach_the_model(
    server: Server, http: httpx.Client
) -> None:
    """While one request computes, three others queue; their clients leave; they are dropped."""
    one = {"instances": [{"x": 2.0}]}
    before = _slow_batches(http)

    def patient() -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=30.0) as client:
            return client.post("/v1/models/slow/predict", json=one)

    def impatient() -> str:
        with httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0, read=0.1)) as client:
            try:
                client.post("/v1/models/slow/predict", json=one)
            except httpx.ReadTimeout:
                return "gave up"
            return "answered"

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(patient)
        deadline = time.monotonic() + 5
        while _slow_batches(http) < before + 1:  # the patient request is computing now
            assert time.monotonic() < deadline, "the first request never reached the model"
            time.sleep(0.01)
        quitters = [pool.submit(impatient) for _ in range(3)]
        assert [q.result(timeout=30) for q in quitters] == ["gave up"] * 3
        answer = first.result(timeout=30)
    assert answer.status_code == 200, answer.text
    time.sleep(SLOW_S * 1.5)  # time enough for the server to (wrongly) compute a dropped one
    assert _slow_batches(http) == before + 1
    follow = http.post("/v1/models/slow/predict", json=one)
    assert follow.status_code == 200, follow.text
    assert _slow_batches(http) == before + 2


# -- 7. admin routes ------------------------------------------------------------------------
def test_process_admin_routes_need_the_key_and_move_aliases(
    http: httpx.Client, trained: Trained
) -> None:
    assert http.get("/v1/admin/models").status_code == 401
    wrong = http.get("/v1/admin/models", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"
    listed = http.get("/v1/admin/models", headers=AUTH)
    assert listed.status_code == 200, listed.text
    served = {(m["model"], m["version"]): m["state"] for m in listed.json()["models"]}
    assert served[("cancer-admin", 2)] == "ready"
    assert served[("cancer", 1)] == "ready"
    assert served[("adult", 2)] == "ready"

    features = trained.cancer_features.iloc[::5]
    rows = {"instances": records(features)}
    before = http.post("/v1/models/cancer-admin/predict", json=rows).json()
    assert before["version"] == 2
    np.testing.assert_allclose(
        before["probabilities"], trained.cancer_other.predict_proba(features)
    )

    move = {"version": 1, "reason": "rollback"}
    path = "/v1/admin/models/cancer-admin/aliases/champion"
    assert http.put(path, json=move).status_code == 401
    assert http.put(path, json=move, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert http.post("/v1/models/cancer-admin/predict", json=rows).json()["version"] == 2

    moved = http.put(path, json=move, headers=AUTH)
    assert moved.status_code == 200, moved.text
    event = moved.json()
    assert (event["from_version"], event["to_version"]) == (2, 1)
    assert event["reason"] == "rollback"

    after = http.post("/v1/models/cancer-admin/predict", json=rows)
    assert after.status_code == 200, after.text
    assert after.json()["version"] == 1
    assert after.json()["predictions"] == trained.cancer.predict(features).tolist()
    np.testing.assert_allclose(
        after.json()["probabilities"], trained.cancer.predict_proba(features)
    )


# -- 5. 2,000 connections at once ------------------------------------------------------------
def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _predict_request(body: bytes) -> bytes:
    """One predict on a connection the server closes after answering."""
    return (
        b"POST /v1/models/cancer/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: close\r\n\r\n" + body
    )


async def _storm(port: int, request: bytes, count: int) -> Counter[str]:
    """Open ``count`` connections at once, then send one request on each."""

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
        try:
            return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 20)
        except ConnectionRefusedError:
            return "refused"
        except OSError as exc:
            return f"connect {type(exc).__name__}"
        except TimeoutError:
            return "connect timeout"

    async def exchange(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | str,
    ) -> str:
        if isinstance(conn, str):
            return conn
        reader, writer = conn
        try:
            writer.write(request)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 30)
        except ConnectionResetError:
            return "reset"
        except TimeoutError:
            return "no answer (timeout)"
        except OSError as exc:
            return f"error {type(exc).__name__}"
        finally:
            writer.close()
        if not answer:
            return "closed without an answer"
        if not answer.startswith(b"HTTP/1.1 "):
            return f"not HTTP: {answer[:20]!r}"
        return answer.split(b" ", 2)[1].decode()

    conns = await asyncio.gather(*(connect() for _ in range(count)))
    return Counter(await asyncio.gather(*(exchange(c) for c in conns)))


def test_process_2000_connections_at_once_are_bounded(cancer_home: Path, trained: Trained) -> None:
    _raise_fd_limit()
    body = httpx.Request("POST", "/", json={"instances": [cancer_instance(trained)]}).read()
    with running_server(cancer_home, env={"AWEIGH_MAX_CONCURRENCY": "256"}) as server:
        started = time.monotonic()
        outcomes = asyncio.run(
            asyncio.wait_for(_storm(server.port, _predict_request(body), 2000), 60)
        )
        took = time.monotonic() - started
        print(f"2000 connections at once: {dict(outcomes)} in {took:.1f} s")
        assert sum(outcomes.values()) == 2000
        unclean = {k: v for k, v in outcomes.items() if k not in {"200", "503", "refused", "reset"}}
        assert not unclean, outcomes
        assert server.alive(), server.log_tail()
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            assert client.get("/healthz").status_code == 200
            ok = client.post(
                "/v1/models/cancer/predict", json={"instances": [cancer_instance(trained)]}
            )
            assert ok.status_code == 200, ok.text
            assert (
                ok.json()["predictions"]
                == trained.cancer.predict(trained.cancer_features.iloc[[0]]).tolist()
            )
        assert "Traceback" not in server.log()


def test_process_idle_connections_do_not_use_up_the_concurrency_limit(
    cancer_home: Path, trained: Trained
) -> None:
    """AWEIGH_MAX_CONCURRENCY bounds requests handled at once (settings.py), not sockets.

    A pool of idle keep-alive connections (a load balancer, a client pool) must not turn
    every request into a 503 while nothing is being computed.
    """
    _raise_fd_limit()
    body = httpx.Request("POST", "/", json={"instances": [cancer_instance(trained)]}).read()
    with running_server(cancer_home, env={"AWEIGH_MAX_CONCURRENCY": "16"}) as server:

        async def scenario() -> list[str]:
            idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(32)]
            await asyncio.sleep(0.3)  # the server has accepted them; none sends anything
            try:
                statuses = []
                for _ in range(3):
                    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                    writer.write(_predict_request(body))
                    answer = await asyncio.wait_for(reader.read(), 10)
                    writer.close()
                    statuses.append(answer.split(b" ", 2)[1].decode())
                return statuses
            finally:
                for _, writer in idle:
                    writer.close()

        statuses = asyncio.run(asyncio.wait_for(scenario(), 30))
        assert statuses == ["200", "200", "200"], (
            f"one request at a time, with 32 idle connections open and "
            f"AWEIGH_MAX_CONCURRENCY=16, got {statuses}"
        )


# -- 6. kill -9 under load -------------------------------------------------------------------
FLUSH_S = 0.5


def _load(
    url: str, trained: Trained, stop: threading.Event, workers: int = 8
) -> tuple[list[tuple[str, float]], list[threading.Thread]]:
    acks: list[tuple[str, float]] = []
    lock = threading.Lock()

    def work(w: int) -> None:
        with httpx.Client(base_url=url, timeout=10.0) as client:
            i = 0
            while not stop.is_set():
                rid = f"kill-{w}-{i}"
                try:
                    response = client.post(
                        "/v1/models/cancer/predict",
                        json={"instances": [cancer_instance(trained, w * 1000 + i)]},
                        headers={"X-Request-ID": rid},
                    )
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    acked = time.monotonic()
                    assert response.json()["request_id"] == rid
                    with lock:
                        acks.append((rid, acked))
                i += 1

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(workers)]
    for thread in threads:
        thread.start()
    return acks, threads


def test_process_kill_9_under_load_loses_only_the_last_flush_interval(
    cancer_home: Path, trained: Trained
) -> None:
    env = {"AWEIGH_EVENTS_FLUSH_INTERVAL_S": str(FLUSH_S)}
    server = start_server(cancer_home, env=env, log_name="killed.log")
    try:
        server.wait_ready()
        stop = threading.Event()
        acks, threads = _load(server.url, trained, stop)
        time.sleep(3.0)
        killed_at = time.monotonic()
        server.kill9()
        stop.set()
        for thread in threads:
            thread.join(15)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.stop()
        print(f"--- killed server log ---\n{server.log_tail()}")
    assert server.proc.returncode == -signal.SIGKILL

    found, segments, spooled = events_on_disk(cancer_home / "events")
    predictions = [e for e in found if e["kind"] == "prediction"]
    on_disk = {e["request_id"] for e in predictions}
    assert len(on_disk) == len(predictions), "an event was written twice"
    assert {e["model"] for e in predictions} <= {"cancer"}
    bound = FLUSH_S + 1.0
    assert len(acks) >= 50, f"only {len(acks)} requests were acknowledged in 3 s"
    old = [rid for rid, at in acks if at < killed_at - bound]
    assert old, "no request was acknowledged before the crash bound"
    missing = [rid for rid in old if rid not in on_disk]
    assert not missing, (
        f"{len(missing)} of {len(old)} requests acknowledged more than {bound} s before "
        f"kill -9 are not on disk: {missing[:10]}"
    )
    lost = [(rid, at) for rid, at in acks if rid not in on_disk]
    window = killed_at - min((at for _, at in lost), default=killed_at)
    print(
        f"kill -9 under load: {len(acks)} acknowledged, {len(on_disk)} on disk "
        f"({segments} segments, {spooled} spooled lines), {len(lost)} lost, "
        f"the oldest lost acknowledged {window:.2f} s before the kill"
    )

    # A new server on the same home matches labels for requests of the killed one.
    early = acks[0][0]
    with (
        running_server(cancer_home, env=env, log_name="restarted.log") as again,
        httpx.Client(base_url=again.url, timeout=30.0) as client,
    ):
        matched = client.post("/v1/models/cancer/feedback", json={"request_id": early, "label": 1})
        assert matched.status_code == 200, matched.text
        assert matched.json()["stored"] == 1
        assert matched.json()["unknown_request_ids"] == []
        unknown = client.post(
            "/v1/models/cancer/feedback",
            json=[{"request_id": "made-up-id", "label": 0}, {"request_id": early, "label": 1}],
        )
        assert unknown.status_code == 200, unknown.text
        assert unknown.json()["stored"] == 1
        assert unknown.json()["unknown_request_ids"] == ["made-up-id"]


# -- 8. a tampered artifact ------------------------------------------------------------------
def _wait_settled(server: Server, models: int, timeout_s: float = 45.0) -> httpx.Response:
    """Poll /readyz until every model has finished loading (or failed)."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=server.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert server.alive(), server.log_tail()
            try:
                response = client.get("/readyz")
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            listed = response.json().get("models", [])
            if len(listed) >= models and all(m["state"] != "loading" for m in listed):
                return response
            time.sleep(0.05)
    raise AssertionError(f"the models never settled:\n{server.log_tail()}")


def test_process_a_tampered_artifact_fails_alone(tmp_path: Path, trained: Trained) -> None:
    home = tmp_path / "home"
    sample = trained.cancer_features.head(50)
    with registry_at(home) as registry:
        good = registry.register(trained.cancer, "good", sample=sample, alias="champion")
        victim = registry.register(trained.cancer_other, "victim", sample=sample, alias="champion")
    assert good.sha256 != victim.sha256
    sha = victim.sha256
    artifact = home / "artifacts" / sha[:2] / sha[2:4] / sha
    assert artifact.is_file()
    artifact.chmod(0o644)
    artifact.write_bytes(b"tampered" + artifact.read_bytes()[8:])

    server = start_server(home)
    try:
        ready = _wait_settled(server, models=2)
        states = {m["model"]: m for m in ready.json()["models"]}
        assert states["good"]["state"] == "ready"
        assert states["victim"]["state"] == "failed"
        assert "sha256" in states["victim"]["reason"]
        assert sha in states["victim"]["reason"]

        instance = {"instances": [cancer_instance(trained)]}
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            refused = client.post("/v1/models/victim/predict", json=instance)
            assert refused.status_code == 503, refused.text
            error = refused.json()["error"]
            assert error["code"] == "model_unavailable"
            assert "sha256" in error["message"]
            assert "Traceback" not in refused.text
            assert error["request_id"] == refused.headers["x-request-id"]
            v2 = client.post("/v2/models/victim/infer", json={"inputs": []})
            assert v2.status_code == 503, v2.text
            assert "sha256" in v2.json()["error"]
            for _ in range(3):
                served = client.post("/v1/models/good/predict", json=instance)
                assert served.status_code == 200, served.text
    finally:
        server.stop()
        print(f"--- tampered server log ---\n{server.log_tail()}")


# -- 9. --workers 2 ----------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status or "\nState:\tX" in status


def test_process_two_workers_serve_and_stop_on_sigterm(cancer_home: Path, trained: Trained) -> None:
    server = start_server(cancer_home, args=["--workers", "2"], log_name="workers.log")
    try:
        server.wait_ready(consecutive=10)
        workers = _children(server.proc.pid)
        assert len(workers) >= 2, f"uvicorn workers: {workers}\n{server.log_tail()}"
        features = trained.cancer_features.iloc[:12]
        expected = trained.cancer.predict(features).tolist()
        for i in range(12):  # a new connection each time, so either worker may accept it
            with httpx.Client(base_url=server.url, timeout=10.0) as client:
                response = client.post(
                    "/v1/models/cancer/predict", json={"instances": [cancer_instance(trained, i)]}
                )
            assert response.status_code == 200, response.text
            assert response.json()["predictions"] == [expected[i]]

        stopping = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            status = server.proc.wait(15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"aweigh serve --workers 2 ignored SIGTERM for 15 s:\n{server.log_tail()}")
        took = time.monotonic() - stopping
        print(f"--workers 2 stopped in {took:.2f} s with status {status}")
        assert status == 0, server.log_tail()
        deadline = time.monotonic() + 5
        while not all(_gone(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived the server"
            time.sleep(0.05)
    finally:
        server.stop()
        print(f"--- workers server log ---\n{server.log_tail()}")


def test_process_workers_write_the_access_log(cancer_home: Path, trained: Trained) -> None:
    """Every worker writes its JSON access-log lines (with the request id), as one process does."""
    ids = [f"workers-log-{i}" for i in range(6)]
    with running_server(
        cancer_home, args=["--workers", "2"], log_name="workers-log.log", consecutive=6
    ) as server:
        for i, rid in enumerate(ids):  # a new connection each time
            with httpx.Client(base_url=server.url, timeout=10.0) as client:
                response = client.post(
                    "/v1/models/cancer/predict",
                    json={"instances": [cancer_instance(trained, i)]},
                    headers={"X-Request-ID": rid},
                )
            assert response.status_code == 200, response.text
        deadline = time.monotonic() + 5
        while True:
            logged = {
                line.get("request_id"): line
                for line in _json_lines(server.log())
                if isinstance(line, dict)
            }
            if all(rid in logged for rid in ids) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        missing = [rid for rid in ids if rid not in logged]
        assert not missing, (
            f"aweigh serve --workers 2 wrote no access-log line for {missing}; the log is:\n"
            f"{server.log_tail()}"
        )
        assert logged[ids[0]]["status"] == 200
        assert logged[ids[0]]["model"] == "cancer"


def _json_lines(text: str) -> list[Any]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


# -- the lean process ---------------------------------------------------------------
def _proc_of(pid: int) -> tuple[list[str], dict[str, str]]:
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode().partition("=") for item in environ if item)
    return [a.decode() for a in cmdline if a], {k: v for k, _, v in pairs}


def test_process_server_serves_lean_under_the_pid_it_was_started_with(
    cancer_home: Path, trained: Trained
) -> None:
    with running_server(cancer_home, log_name="lean.log") as server:
        args, env = _proc_of(server.proc.pid)
        assert args[1:4] == ["-m", "aweigh", "serve"], args
        assert env.get("PYTHONOPTIMIZE") == "2", args
        assert env.get("ARROW_DEFAULT_MEMORY_POOL") == "system"
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_process_serve_lean_false_keeps_the_process_as_started(
    cancer_home: Path, trained: Trained
) -> None:
    with running_server(
        cancer_home, env={"AWEIGH_SERVE_LEAN": "false"}, log_name="not-lean.log"
    ) as server:
        args, env = _proc_of(server.proc.pid)
        assert args[1] == str(AWEIGH), args
        assert "PYTHONOPTIMIZE" not in env
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
