"""``aweigh demo``: the main job on embedded defaults (see ``aweigh.demo``).

It trains and registers two models, then starts a real server on a free port,
sends every Adult test row as its own request, sends the true labels back as
feedback, and prints what happened. ``--serve`` keeps the server up until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from aweigh.cli._render import console, history_table, models_table, versions_table
from aweigh.cli.app import handle_errors
from aweigh.core.errors import AweighError
from aweigh.registry.service import Registry


@handle_errors
def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep serving after the traffic, until Ctrl-C.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Concurrent clients.")] = 32,
    rows: Annotated[int | None, typer.Option(min=1, help="Send only this many test rows.")] = None,
) -> None:
    """Train, register and promote two Adult census models, then serve real traffic."""
    from aweigh.bootstrap import build_registry
    from aweigh.cli.data import _quarantine
    from aweigh.cli.demo_guardrails import (
        show_contract,
        show_privacy,
        show_rejected_request,
        validate_with_quarantine,
    )
    from aweigh.cli.demo_monitoring import show_monitoring, timed
    from aweigh.demo.datasets import ADULT_TARGET, load_adult, with_customers
    from aweigh.demo.run import MODEL_NAME, SUBJECT_FIELD, run_demo
    from aweigh.demo.traffic import records
    from aweigh.settings import load_settings

    settings = load_settings(subject_field=SUBJECT_FIELD)
    reg = build_registry(settings)
    result = run_demo(reg, console)
    show_registry(reg, MODEL_NAME)
    _show_predictions(reg, MODEL_NAME, result.champion)
    test = with_customers(load_adult("test"), "test")
    if rows is not None:
        test = test.head(rows)
    show_contract(reg, result.champion)
    validate_with_quarantine(reg, result.champion, test, _quarantine())
    port = _free_port()
    with _server(port) as base_url:
        show_rejected_request(
            base_url, MODEL_NAME, records(test.drop(columns=[ADULT_TARGET]).head(1))[0]
        )
        console.print("\n[bold]Phase 1[/]: the Adult test rows, like the training data")
        sent: list[object] = []
        first = timed(
            lambda: sent.append(
                _send_traffic(base_url, MODEL_NAME, test, ADULT_TARGET, concurrency)
            )
        )
        traffic = sent[0]
        console.print(_summary(base_url, traffic, concurrency))
        show_monitoring(
            base_url,
            MODEL_NAME,
            reg.resolve(result.champion).version,
            first,
            test,
            lambda frame, _: _send_traffic(base_url, MODEL_NAME, frame, ADULT_TARGET, concurrency),
            settings.home,
        )
        show_privacy(base_url, settings, MODEL_NAME, str(test["customer_id"].iloc[0]))
        _print_examples(base_url, MODEL_NAME, test.drop(columns=[ADULT_TARGET]).iloc[0])
        if serve:
            console.print(f"\nServing on {base_url} until Ctrl-C.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)


def show_registry(reg: Registry, name: str) -> None:
    """The models table, the model's versions and its alias history."""
    models = reg.models()
    console.print(models_table(models, {m.name: reg.aliases(m.name) for m in models}))
    console.print(versions_table(name, reg.versions(name)))
    console.print(history_table(name, reg.alias_history(name)))


def _show_predictions(reg: Registry, name: str, champion: str) -> None:
    from aweigh.demo.datasets import ADULT_TARGET, load_adult, with_customers

    loaded = reg.load(f"{name}@champion")
    rows = with_customers(load_adult("test"), "test").sample(5, random_state=42)
    proba = loaded.predict_proba(rows)[:, list(loaded.classes).index(">50K")]
    shown = pd.DataFrame(
        {
            "age": rows["age"],
            "occupation": rows["occupation"],
            "actual": rows[ADULT_TARGET],
            "predicted": loaded.predict(rows),
            "P(>50K)": np.round(proba, 3),
        }
    )
    console.print(
        f"Loaded [bold]{name}@champion[/] ({champion}, sha256 verified); "
        "predictions for five held-out people:"
    )
    console.print(shown.to_string(index=False), markup=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _server(port: int) -> Iterator[str]:
    """``aweigh serve`` in its own process (as in production), stopped on exit."""
    from aweigh.demo.run import MODEL_NAME, SUBJECT_FIELD

    env = {
        **os.environ,
        "AWEIGH_SERVE_PORT": str(port),
        "AWEIGH_SERVE_HOST": "127.0.0.1",
        "AWEIGH_SUBJECT_FIELD": SUBJECT_FIELD,
        "AWEIGH_MONITOR_FAIRNESS": json.dumps(
            {MODEL_NAME: {"sensitive": ["sex", "race"], "positive": ">50K"}}
        ),
        "AWEIGH_MONITOR_SEGMENTS": json.dumps({MODEL_NAME: ["sex"]}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "aweigh", "serve", "--log-level", "warning"], env=env
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with console.status(f"Starting the server on {base_url}..."):
            _wait_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    import httpx  # here, not at the top: `aweigh serve` imports this module too

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AweighError(
                f"The server exited with status {process.returncode} before it "
                "was ready; its messages are above."
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise AweighError(f"The server at {base_url} was not ready within {timeout_s:.0f} s.")


def _send_traffic(
    base_url: str, name: str, test: pd.DataFrame, target: str, concurrency: int
) -> object:
    from aweigh.demo.traffic import records, send_labels, send_rows

    rows = records(test.drop(columns=[target]))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(
            f"{len(rows):,} requests, {concurrency} at a time", total=len(rows)
        )
        traffic = asyncio.run(
            send_rows(
                base_url,
                name,
                rows,
                concurrency=concurrency,
                on_progress=lambda n: progress.advance(task, n),
            )
        )
    with console.status("Sending the true labels as feedback..."):
        asyncio.run(send_labels(base_url, name, traffic, list(test[target])))
    return traffic


def _summary(base_url: str, traffic: object, concurrency: int) -> Table:
    import httpx

    from aweigh.demo.traffic import TrafficResult, scrape

    assert isinstance(traffic, TrafficResult)
    metrics = ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait for the event log's next flush
        metrics = httpx.get(f"{base_url}/metrics", timeout=5).text
        appended = scrape(metrics, 'aweigh_events_total{outcome="appended"}')
        done = scrape(metrics, 'aweigh_events_total{outcome="written"}') + scrape(
            metrics, 'aweigh_events_total{outcome="spooled"}'
        )
        if done >= appended > 0:
            break
        time.sleep(0.5)
    written = scrape(metrics, 'aweigh_events_total{outcome="written"}')
    batches = scrape(metrics, "aweigh_batch_size_rows_count")
    batch_rows = scrape(metrics, "aweigh_batch_size_rows_sum")
    table = Table(title="Served traffic", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for what, value in (
        ("requests", f"{traffic.requests:,} ({traffic.errors:,} errors)"),
        ("rejected by the contract", f"{traffic.rejected:,} (422)"),
        ("concurrency", str(concurrency)),
        ("throughput", f"{traffic.throughput:,.0f} req/s"),
        ("latency p50", f"{traffic.percentile(50):.1f} ms"),
        ("latency p99", f"{traffic.percentile(99):.1f} ms"),
        ("mean batch size", f"{batch_rows / batches:.1f} rows" if batches else "-"),
        ("events logged", f"{written:,.0f}"),
        ("feedback matched", f"{traffic.feedback_stored:,} ({traffic.feedback_unknown:,} unknown)"),
    ):
        table.add_row(what, value)
    return table


def _print_examples(base_url: str, name: str, row: pd.Series) -> None:
    import orjson

    from aweigh.demo.traffic import records

    one = records(row.to_frame().T)[0]
    body = orjson.dumps({"instances": [one]}).decode()
    console.print("\nTry it yourself while the server runs (aweigh demo --serve):", markup=False)
    console.print(
        f"curl -s -X POST {base_url}/v1/models/{name}/predict \\\n"
        f"  -H 'content-type: application/json' \\\n  -d '{body}'",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        "\npython - <<'EOF'\nimport numpy as np, tritonclient.http as http\n"
        f"client = http.InferenceServerClient('{base_url.removeprefix('http://')}')\n"
        f"meta = client.get_model_metadata('{name}')\ninputs = []\n"
        f"row = {one!r}\n"
        "for spec in meta['inputs']:\n"
        "    value = row[spec['name']]\n"
        "    dtype = np.object_ if spec['datatype'] == 'BYTES' else np.int64\n"
        "    tensor = http.InferInput(spec['name'], [1], spec['datatype'])\n"
        "    tensor.set_data_from_numpy(np.array([value if value is not None else ''],"
        " dtype=dtype), binary_data=False)\n"
        "    inputs.append(tensor)\n"
        "outputs = [http.InferRequestedOutput('predict', binary_data=False)]\n"
        f"print(client.infer('{name}', inputs, outputs=outputs).as_numpy('predict'))\nEOF",
        markup=False,
        soft_wrap=True,
    )
