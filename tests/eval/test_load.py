"""The load script in short: the real server, a few seconds of answers and health checks at once.

These tests check behaviour, not speed: the script stops by itself, accounts for every request, sees no errors but
deliberate 503s, and writes its report. Latency goals belong to the full run (``python -m eval.load``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from eval import load

pytestmark = pytest.mark.slow

DURATION = 4.0
GRACE = 30.0
LOAD_KEYS = {"requests", "successes", "deliberate_503", "errors", "errors_by_kind", "throughput_rps"}
LOAD_KEYS |= {"p50_ms", "p95_ms", "p99_ms", "unaccounted"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real server as the script starts it, with a queue of one waiting question so that four answer clients
    run into the deliberate 503 (and its Retry-After) within seconds."""
    with load.serve(tmp_path_factory.mktemp("load-server"), {"ALLIANCE_QA_GENERATION_QUEUE": "1"}) as (url, _):
        yield url


@pytest.fixture(scope="module")
def run(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, float, Path, dict[str, Any]]:
    """One short load: exit code, seconds taken, report folder and report.json."""
    out = tmp_path_factory.mktemp("load-report") / "report"
    args = ["--url", server, "--duration", str(DURATION), "--grace", str(GRACE), "--out", str(out)]
    began = time.monotonic()
    code = load.main([*args, "--answer-clients", "4", "--health-clients", "8", "--health-think", "0.2"])
    seconds = time.monotonic() - began
    return code, seconds, out, json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_the_load_stops_by_itself_within_the_duration_and_grace(run: tuple) -> None:
    code, seconds, _, report = run
    # The warm-up answer before the load loads the chat model: its time depends on the machine, not on the stop.
    load_seconds = seconds - report["warmup"]["ms"] / 1000
    assert DURATION <= load_seconds < DURATION + GRACE + 10
    assert report["loads"]["stopped_after_s"] <= DURATION + GRACE + 5
    assert report["loads"]["clients_still_running"] == 0
    assert code == (0 if report["verdict"]["passed"] else 1)


def test_every_request_is_accounted_for_and_only_deliberate_503s_fail(run: tuple) -> None:
    report = run[3]
    for name in ("answer", "health"):
        summary = report["loads"][name]
        assert summary["requests"] == summary["successes"] + summary["deliberate_503"] + summary["errors"], name
        assert summary["unaccounted"] == 0, name
        assert summary["errors"] == 0, (name, summary["errors_by_kind"])
    assert report["loads"]["health"]["deliberate_503"] == 0
    assert report["loads"]["answer"]["successes"] >= 1
    assert report["loads"]["health"]["successes"] >= 1
    speed = {f"health p99 < {load.HEALTH_P99_TARGET_MS:.0f} ms"}
    assert all(c["passed"] for c in report["verdict"]["checks"] if c["name"] not in speed)


def test_the_report_is_written_with_the_expected_keys(run: tuple) -> None:
    _, _, out, report = run
    assert {"meta", "target", "loads", "cpu", "verdict"} <= report.keys()
    for name in ("answer", "health"):
        assert LOAD_KEYS <= report["loads"][name].keys()
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| answer | 4 |" in markdown and "| health | 8 |" in markdown
    assert "## Verdict" in markdown


@pytest.mark.parametrize("url", ["http://192.0.2.1:7860", "http://10.0.0.1", "https://127.0.0.1:7860", "127.0.0.1"])
def test_a_server_off_loopback_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert load.main(["--url", url, "--duration", "1"]) == 2
    assert "eval.load:" in capsys.readouterr().err


def test_loopback_names_and_addresses_are_accepted() -> None:
    assert load.loopback_target("http://127.0.0.1:7860/") == load.Target("127.0.0.1", 7860, "")
    assert load.loopback_target("http://localhost:8000/qa").prefix == "/qa"
