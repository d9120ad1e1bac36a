"""Load test of the real server: answer clients and health clients at the same time, for a fixed time, on loopback.

Run with ``python -m eval.load`` (60 s: 16 clients on ``POST /api/answer``, 64 on ``GET /api/health``). Without
``--url`` it starts ``alliance-qa serve`` on a free loopback port with a temporary state folder, and always stops it.
The target: no errors other than the deliberate 503s of the full generation queue, and health p99 under 100 ms
while answers run. The exit code is 1 when the target is missed; the report is written either way, to
``eval/reports/load-<UTC time>/`` as ``report.json`` and ``report.md`` (plus ``serve.log`` of a server it started).

Clients are threads with keep-alive ``http.client`` connections: they block in the kernel while the server works,
so the load generator costs little of the CPU the server needs. Answer clients ask gold questions in a loop and, on
a 503, wait as long as its ``Retry-After`` says (but not past the end). Health clients pause ``--health-think``
seconds between requests, because 64 clients polling back to back would measure how fast one machine can starve
itself rather than how health behaves beside answers; the report gives the request rate achieved. One answer before
the load warms the server up (it loads the chat model on the first question); it is reported but not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eval.gold import load_gold
from eval.processes import ROOT, alliance_server, exit_on_sigterm
from eval.report import machine, md_table, say
from eval.stats import percentile

HEALTH_P99_TARGET_MS = 100.0
IDLE_REOPEN_S = 4.0
"""Reopen a connection idle this long: uvicorn closes idle keep-alive connections after 5 s."""
ERROR_PAUSE_S = 0.5
"""Pause after a failed request, so that the clients of a failing server do not spin and starve the machine."""
WARMUP_TIMEOUT_S = 300.0
"""Longest wait for the warm-up answer, which includes loading the chat model."""
PROBE_S = 0.01
"""Period of the client's timer probe: how late it wakes shows how much the load generator itself was starved."""


class NotLoopback(ValueError):
    """The URL names a host other than this machine's loopback interface."""


@dataclass(frozen=True)
class Target:
    """Where the server listens: a loopback host, a port and a path prefix."""

    host: str
    port: int
    prefix: str = ""


def loopback_target(url: str) -> Target:
    """The target of an ``http://`` URL whose host resolves only to loopback addresses; raises ``NotLoopback``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise NotLoopback(f"{url!r} is not an http:// URL: pass e.g. --url http://127.0.0.1:7860")
    try:
        port = parts.port or 80
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError) as exc:
        raise NotLoopback(f"cannot resolve {url!r}: {exc}") from exc
    if not all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos):
        raise NotLoopback(f"{parts.hostname} is not a loopback address: the load test only drives 127.0.0.1 or ::1")
    return Target(parts.hostname, port, parts.path.rstrip("/"))


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened after an error, a close, or an idle spell the server may end."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._conn: http.client.HTTPConnection | None = None
        self._last = 0.0

    def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, str | None, bytes]:
        """Status, Retry-After header and body; ``OSError`` or ``HTTPException`` when the exchange fails."""
        if self._conn is None or time.monotonic() - self._last > IDLE_REOPEN_S:
            self.close()
            self._conn = http.client.HTTPConnection(self.target.host, self.target.port, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        headers = {"content-type": "application/json"} if body is not None else {}
        try:
            self._conn.request(method, self.target.prefix + path, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        finally:
            self._last = time.monotonic()
        if response.will_close:
            self.close()
        return response.status, response.getheader("Retry-After"), data

    def close(self) -> None:
        """Close the socket, if open."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class ClientLog:
    """What one client sent and how each request ended: ``(outcome, label, ms)`` with outcome ok, 503 or error."""

    sent: int = 0
    results: list[tuple[str, str, float]] = field(default_factory=list)
    last_end: float = 0.0


@dataclass(frozen=True)
class Window:
    """The load's time limits (monotonic seconds) and per-client request bound."""

    deadline: float
    grace: float
    max_requests: int

    def open(self, log: ClientLog) -> bool:
        """Whether a client may start another request."""
        return time.monotonic() < self.deadline and log.sent < self.max_requests

    def timeout(self) -> float:
        """Socket timeout for a request starting now: it must end within the grace after the deadline."""
        return max(1.0, self.deadline + self.grace - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, but not past the deadline."""
        time.sleep(max(0.0, min(seconds, self.deadline - time.monotonic())))


def exchange(
    conn: Connection, log: ClientLog, window: Window, method: str, path: str, body: bytes | None
) -> tuple[tuple[int, str | None, bytes] | None, float]:
    """One counted request and its milliseconds; None, recorded as an error named by the exception, if it failed."""
    log.sent += 1
    began = time.perf_counter()
    try:
        return conn.request(method, path, body, window.timeout()), (time.perf_counter() - began) * 1000
    except (OSError, http.client.HTTPException) as exc:
        log.results.append(("error", type(exc).__name__, (time.perf_counter() - began) * 1000))
        return None, 0.0
    finally:
        log.last_end = time.monotonic()


def answer_kind(data: bytes) -> str | None:
    """How an /api/answer body answered (generated, extractive, refused), or None if it is not an answer."""
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    if not isinstance(answer, dict) or "answer" not in answer:
        return None
    return "refused" if answer.get("refused") else str(answer.get("mode", "generated"))


def answer_client(target: Target, window: Window, questions: list[dict[str, Any]], seed: int, log: ClientLog) -> None:
    """Ask random gold questions until the window closes; on a deliberate 503, wait as its Retry-After asks."""
    rng, conn = random.Random(seed), Connection(target)
    try:
        while window.open(log):
            body = json.dumps(rng.choice(questions)).encode()
            response, ms = exchange(conn, log, window, "POST", "/api/answer", body)
            if response is None:
                window.pause(ERROR_PAUSE_S)
                continue
            status, retry_after, data = response
            kind = answer_kind(data) if status == 200 else None
            if kind:
                log.results.append(("ok", kind, ms))
            elif status == 503 and retry_after and retry_after.isdigit():
                log.results.append(("503", f"Retry-After {retry_after} s", ms))
                window.pause(float(retry_after))
            else:
                log.results.append(("error", f"HTTP {status}" + (" without an answer" if status == 200 else ""), ms))
                window.pause(ERROR_PAUSE_S)
    finally:
        conn.close()


def health_client(target: Target, window: Window, think: float, seed: int, log: ClientLog) -> None:
    """GET /api/health, pausing ``think`` seconds between requests (starting at a random point of the first pause)."""
    conn = Connection(target)
    window.pause(random.Random(seed).uniform(0, think))
    try:
        while window.open(log):
            response, ms = exchange(conn, log, window, "GET", "/api/health", None)
            status = response[0] if response else None
            if status is not None:
                log.results.append(("ok", "ok", ms) if status == 200 else ("error", f"HTTP {status}", ms))
            window.pause(think if status == 200 else max(think, ERROR_PAUSE_S))
    finally:
        conn.close()


def timer_probe(window: Window, lags: list[float]) -> None:
    """Sleep PROBE_S at a time until the deadline, noting how late each wake-up came (ms)."""
    while time.monotonic() < window.deadline:
        began = time.perf_counter()
        time.sleep(PROBE_S)
        lags.append((time.perf_counter() - began - PROBE_S) * 1000)


def summarize(logs: list[ClientLog], began: float, clients: int, think: float | None) -> dict[str, Any]:
    """Counts, throughput and latency percentiles of one load (latencies of successful requests only)."""
    results = [r for log in logs for r in log.results]
    ok_ms = [ms for outcome, _, ms in results if outcome == "ok"]
    elapsed = max([log.last_end for log in logs] + [began + 1e-9]) - began
    by = Counter(outcome for outcome, _, _ in results)
    sent = sum(log.sent for log in logs)
    return {
        "clients": clients,
        "think_s": think,
        "requests": sent,
        "successes": by["ok"],
        "deliberate_503": by["503"],
        "errors": by["error"],
        "unaccounted": sent - len(results),
        "errors_by_kind": dict(Counter(label for outcome, label, _ in results if outcome == "error")),
        "successes_by_kind": dict(Counter(label for outcome, label, _ in results if outcome == "ok")),
        "deliberate_503_by_kind": dict(Counter(label for outcome, label, _ in results if outcome == "503")),
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(results) / elapsed, 2),
        "success_rps": round(len(ok_ms) / elapsed, 2),
        "p50_ms": percentile(ok_ms, 50),
        "p95_ms": percentile(ok_ms, 95),
        "p99_ms": percentile(ok_ms, 99),
        "max_ms": round(max(ok_ms), 1) if ok_ms else None,
        "deliberate_503_p50_ms": percentile([ms for outcome, _, ms in results if outcome == "503"], 50),
    }


def run_loads(target: Target, args: argparse.Namespace, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Both loads at once for ``args.duration`` seconds; returns their summaries once every client has stopped."""
    began = time.monotonic()
    window = Window(began + args.duration, args.grace, args.max_requests)
    answer_logs = [ClientLog() for _ in range(args.answer_clients)]
    health_logs = [ClientLog() for _ in range(args.health_clients)]
    jobs: list[tuple[Callable[..., None], tuple[Any, ...]]] = [
        (answer_client, (target, window, questions, args.seed + i, log)) for i, log in enumerate(answer_logs)
    ] + [(health_client, (target, window, args.health_think, args.seed + i, log)) for i, log in enumerate(health_logs)]
    lags: list[float] = []
    jobs.append((timer_probe, (window, lags)))
    threads = [threading.Thread(target=fn, args=a, daemon=True, name=f"load-{fn.__name__}") for fn, a in jobs]
    for thread in threads:
        thread.start()
    hard_stop = window.deadline + args.grace + 5  # a request ends by deadline + grace; 5 s more to notice
    for thread in threads:
        thread.join(timeout=max(0.0, hard_stop - time.monotonic()))
    return {
        "answer": summarize(answer_logs, began, args.answer_clients, None),
        "health": summarize(health_logs, began, args.health_clients, args.health_think),
        "stopped_after_s": round(time.monotonic() - began, 2),
        "clients_still_running": sum(t.is_alive() for t in threads),
        "client_timer_lag_ms": {"p50": percentile(lags, 50), "p99": percentile(lags, 99), "max": percentile(lags, 100)},
    }


def verdict(loads: dict[str, Any]) -> dict[str, Any]:
    """The target, check by check: no errors but deliberate 503s, all requests accounted, fast health beside answers."""
    answer, health = loads["answer"], loads["health"]
    errors = {k: v for name in ("answer", "health") for k, v in loads[name]["errors_by_kind"].items()}
    checks = [
        {
            "name": "no errors other than deliberate 503s",
            "passed": answer["errors"] + health["errors"] == 0,
            "detail": ", ".join(f"{k} x{v}" for k, v in errors.items()) or "none",
        },
        {
            "name": "every request accounted for",
            "passed": answer["unaccounted"] + health["unaccounted"] == 0 and loads["clients_still_running"] == 0,
            "detail": f"{answer['unaccounted'] + health['unaccounted']} unaccounted, "
            f"{loads['clients_still_running']} clients still running",
        },
        {
            "name": "answers and health both answered",
            "passed": answer["successes"] > 0 and health["successes"] > 0,
            "detail": f"{answer['successes']} answers, {health['successes']} health",
        },
        {
            "name": f"health p99 < {HEALTH_P99_TARGET_MS:.0f} ms",
            "passed": health["p99_ms"] is not None and health["p99_ms"] < HEALTH_P99_TARGET_MS,
            "detail": f"{health['p99_ms']} ms",
        },
    ]
    return {"passed": all(c["passed"] for c in checks), "checks": checks}


def kinds(counts: dict[str, int]) -> str:
    """``label xN`` pairs, or a dash."""
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "-"


def report_md(results: dict[str, Any]) -> str:
    """The report as Markdown: one table row per load, the breakdowns, CPU use and the verdict."""
    meta, loads, v = results["meta"], results["loads"], results["verdict"]
    columns = ["requests", "successes", "deliberate_503", "errors", "throughput_rps", "success_rps"]
    columns += ["p50_ms", "p95_ms", "p99_ms", "max_ms"]
    header = ["load", "clients", "think s"] + [c.replace("_", " ").replace("rps", "req/s") for c in columns]
    rows = [[name, loads[name]["clients"], loads[name]["think_s"] or 0] + [loads[name][c] for c in columns]
            for name in ("answer", "health")]  # fmt: skip
    a, h, cpu, lag = loads["answer"], loads["health"], results["cpu"], loads["client_timer_lag_ms"]
    server_cpu = f"; server {cpu['server_s']} s" if cpu.get("server_s") is not None else ""
    lines = [
        f"# Load test {meta['started']}\n",
        f"{meta['server']}. {meta['machine']}; load average {meta['loadavg_before']} before, "
        f"{meta['loadavg_after']} after. {meta['duration_s']} s of load, stopped after {loads['stopped_after_s']} s "
        f"(grace {meta['grace_s']} s); at most {meta['max_requests']} requests per client. Warm-up answer before "
        f"the load (not counted): {results['warmup']['status']} in {results['warmup']['ms']:.0f} ms.\n",
        md_table(header, rows),
        "",
        "Latencies are of successful requests, measured by the client. Health clients pause the think time between "
        f"requests: at most {h['clients'] / h['think_s']:.0f} req/s offered, {h['throughput_rps']} achieved."
        if h["think_s"]
        else "Health clients poll back to back.",
        "",
        f"- answers: {kinds(a['successes_by_kind'])}; deliberate 503s: {kinds(a['deliberate_503_by_kind'])} "
        f"(p50 {a['deliberate_503_p50_ms']} ms); errors: {kinds(a['errors_by_kind'])}",
        f"- health errors: {kinds(h['errors_by_kind'])}",
        f"- client timer lag (how late a {PROBE_S * 1000:.0f} ms sleep woke, ms): p50 {lag['p50']}, p99 {lag['p99']}, "
        f"max {lag['max']}; large values mean the load generator itself was starved of CPU",
        f"- CPU over the load: client {cpu['client_s']} s{server_cpu}, of {cpu['available_s']} s on "
        f"{os.cpu_count()} CPUs",
        "",
        f"## Verdict: {'target met' if v['passed'] else 'TARGET MISSED'}\n",
    ]
    lines += [f"- [{'x' if c['passed'] else ' '}] {c['name']}: {c['detail']}" for c in v["checks"]]
    return "\n".join(lines) + "\n"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (threads included); None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def serve(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The real server, started for the load test with its state in ``tmp``; yields its URL and process.

    The rate limit is off because every client shares 127.0.0.1: a per-IP limit of 120/minute would answer most of
    the load with 429 and measure the limiter, not the queue.
    """
    with alliance_server(tmp / "state", {"ALLIANCE_QA_RATE_LIMIT": "0", **(extra_env or {})}) as (url, proc):
        yield url, proc


def load_questions() -> list[dict[str, Any]]:
    """Every gold question as an /api/answer body (with its history, for follow-ups)."""
    return [{"question": g.question, "history": [t.model_dump() for t in g.history]} for g in load_gold()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The load test's options."""
    parser = argparse.ArgumentParser(prog="python -m eval.load", description="Load test of the real server.")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--answer-clients", type=int, default=16, help="clients on POST /api/answer (default 16)")
    parser.add_argument("--health-clients", type=int, default=64, help="clients on GET /api/health (default 64)")
    parser.add_argument(
        "--health-think", type=float, default=0.5, help="seconds a health client pauses between requests (default 0.5)"
    )
    parser.add_argument("--max-requests", type=int, default=1000, help="most requests per client (default 1000)")
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds requests in flight at the end may take to finish"
    )
    parser.add_argument("--url", help="an already running server on loopback (default: start one)")
    parser.add_argument("--out", type=Path, help="report folder (default: eval/reports/load-<UTC time>)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the question order")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.grace < 0 or args.health_think < 0 or args.max_requests < 1:
        parser.error("--duration and --max-requests must be positive; --grace and --health-think not negative")
    if args.answer_clients < 0 or args.health_clients < 0 or args.answer_clients + args.health_clients == 0:
        parser.error("--answer-clients and --health-clients must not be negative, and not both 0")
    return args


def warm_up(target: Target, question: dict[str, Any], timeout: float = WARMUP_TIMEOUT_S) -> dict[str, Any]:
    """One answer before the load, not counted in it: the server loads its chat model on the first question, and
    that one-off cost (seconds) would otherwise be charged to the first clients."""
    conn = Connection(target)
    began = time.perf_counter()
    try:
        status: int | str = conn.request("POST", "/api/answer", json.dumps(question).encode(), timeout)[0]
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    finally:
        conn.close()
    return {"status": status, "ms": round((time.perf_counter() - began) * 1000, 1)}


def measure(url: str, pid: int | None, args: argparse.Namespace) -> dict[str, Any]:
    """Warm the server up, run the loads against ``url``; the warm-up, the loads and the CPU seconds they used."""
    questions, target = load_questions(), loopback_target(url)
    warmup = warm_up(target, questions[0])
    client_before, server_before, wall = time.process_time(), cpu_seconds(pid) if pid else None, time.monotonic()
    loads = run_loads(target, args, questions)
    server_after = cpu_seconds(pid) if pid else None
    cpu = {
        "client_s": round(time.process_time() - client_before, 2),
        "server_s": round(server_after - server_before, 2) if server_before is not None and server_after else None,
        "available_s": round((time.monotonic() - wall) * (os.cpu_count() or 1), 1),
    }
    return {"warmup": warmup, "loads": loads, "cpu": cpu}


def main(argv: list[str] | None = None) -> int:
    """Run the loads, print the table, write the report; 0 when the target is met, 1 when missed, 2 on bad input."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    started = datetime.now(UTC)
    out = args.out or ROOT / "eval" / "reports" / f"load-{started.strftime('%Y%m%d-%H%M%SZ')}"
    if args.url:
        try:
            loopback_target(args.url)
        except NotLoopback as exc:
            print(f"eval.load: {exc}", file=sys.stderr)
            return 2
    loadavg_before = [round(x, 2) for x in os.getloadavg()]
    with exit_on_sigterm(), tempfile.TemporaryDirectory(prefix="alliance-load-") as tmp:
        if args.url:
            server = f"Server at {args.url} (given)"
            measured = measure(args.url, None, args)
        else:
            say("starting alliance-qa serve (rate limit off) ...")
            try:
                with serve(Path(tmp)) as (url, proc):
                    say(f"server ready at {url}; {args.duration:.0f} s of load")
                    measured = measure(url, proc.pid, args)
            except RuntimeError as exc:
                print(f"eval.load: the server did not start: {exc}", file=sys.stderr)
                return 2
            finally:
                out.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    shutil.copy(Path(tmp) / "serve.log", out / "serve.log")
            server = f"Server started by the script ({url}, ALLIANCE_QA_RATE_LIMIT=0)"
    results = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "server": server,
            "machine": machine(),
            "loadavg_before": loadavg_before,
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "duration_s": args.duration,
            "grace_s": args.grace,
            "max_requests": args.max_requests,
            "seed": args.seed,
        },
        "target": {"health_p99_ms": HEALTH_P99_TARGET_MS, "errors": "none other than deliberate 503s"},
        **measured,
    }
    results["verdict"] = verdict(measured["loads"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report_md(results), encoding="utf-8")
    print("\n" + report_md(results))
    say(f"report: {out}")
    return 0 if results["verdict"]["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
