"""``python -m eval.warm_bench``: how long ``alliance-qa serve`` takes to be ready, on a first start and on restarts.

A first start computes the KV cache of the default collection's prompt prefix (the instructions and the whole
document) and saves it under the state folder; a restart loads it instead. Each start here is a real server
process (``alliance-qa serve`` on a loopback port, a throwaway state folder, the repository's corpus), timed from
its launch to: ``/api/health`` answering (models loaded, documents ingested), the prefix warmed (health's
``model.warm`` no longer ``not started`` or ``warming``), and the answer to one question (``POST /api/answer``).
The first start also ingests the corpus. The report goes to ``<out>/warm-<YYYYmmdd-HHMMSS>/`` as ``warm.md`` and
``warm.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from eval.processes import alliance_server, exit_on_sigterm, http_json
from eval.report import machine, md_table, say

QUESTION = "What new domains of cooperation does the text name?"
WARMING = ("not started", "warming")
WARM_TIMEOUT_S = 600


def start(state: Path, question: str) -> dict[str, Any]:
    """Launch a server on ``state`` and time its way to health, a warm prompt prefix and a first answer."""
    began = time.perf_counter()
    with alliance_server(state) as (url, _):
        healthy = time.perf_counter() - began
        deadline = time.monotonic() + WARM_TIMEOUT_S
        while (warm := http_json(f"{url}/api/health")[1].get("model", {}).get("warm", "")) in WARMING:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the prompt prefix was not warm after {WARM_TIMEOUT_S} s")
            time.sleep(0.1)
        warmed = time.perf_counter() - began
        answer = http_json(f"{url}/api/answer", {"question": question})[1]  # raises on an error status
        answered = time.perf_counter() - began
    return {
        "health_s": round(healthy, 2),
        "warm": warm,
        "warm_s": round(warmed, 2),
        "answer_s": round(answered, 2),
        "mode": answer["mode"],
        "answer_timings_ms": answer.get("timings_ms", {}),
    }


def run(restarts: int, question: str) -> dict[str, Any]:
    """One first start on an empty state folder, then ``restarts`` restarts on the folder it left."""
    with tempfile.TemporaryDirectory(prefix="alliance-qa-warm-") as tmp:
        state = Path(tmp)
        say("first start (ingests the corpus, computes the prompt prefix)")
        first = start(state, question)
        say(f"  {first}")
        again = []
        for n in range(restarts):
            say(f"restart {n + 1} of {restarts} (loads the saved prefix)")
            again.append(start(state, question))
            say(f"  {again[-1]}")
    return {"first": first, "restarts": again, "question": question, "machine": machine()}


def report(results: dict[str, Any], out: Path) -> Path:
    """``warm.md`` and ``warm.json`` in a new folder under ``out``."""
    folder = out / f"warm-{datetime.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "warm.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    columns = ["health_s", "warm_s", "answer_s"]

    def figures(start: dict[str, Any]) -> list[float]:
        """The start's times, and how long its first answer took once the prefix was warm (ms)."""
        return [*(start[c] for c in columns), round((start["answer_s"] - start["warm_s"]) * 1000)]

    rows = [["first start", results["first"]["warm"], *figures(results["first"])]]
    rows += [[f"restart {n}", r["warm"], *figures(r)] for n, r in enumerate(results["restarts"], 1)]
    if results["restarts"]:
        medians = [statistics.median(column) for column in zip(*(figures(r) for r in results["restarts"]))]
        rows.append(["restarts, median", "", *(round(m, 2) for m in medians)])
    header = ["start", "prefix", "health (s)", "prefix warm (s)", "first answer done (s)", "first answer (ms)"]
    md = [
        "# Server start and restart",
        "",
        f"{results['machine']}. Seconds from launching `alliance-qa serve` until `/api/health` answers, until the "
        f"prompt prefix is warm, and until the answer to “{results['question']}” is back; the first start also "
        "ingests the corpus.",
        "",
        md_table(header, rows),
        "",
    ]
    (folder / "warm.md").write_text("\n".join(md), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.warm_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3, help="restarts after the first start (default 3)")
    parser.add_argument("--question", default=QUESTION, help="the question asked after each start")
    parser.add_argument("--out", type=Path, default=Path("eval/reports"))
    args = parser.parse_args(argv)
    with exit_on_sigterm():
        folder = report(run(args.restarts, args.question), args.out)
    print((folder / "warm.md").read_text(encoding="utf-8"))
    say(f"report: {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
