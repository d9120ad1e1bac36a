"""``alliance-qa eval``: run configurations side by side over each corpus's gold set, report, check thresholds."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from tqdm import tqdm

from eval.baseline import BaselineRAG
from eval.corpora import CORPORA, EvalCorpus
from eval.gold import GoldItem, gold_ids, load_gold, stratified
from eval.metrics import ItemResult, by_kind, score, unsupported_share
from eval.report import print_table, write_report, write_summary
from ingest.sync import ingest_default
from rag.answer import Pipeline
from rag.answer.prompt import DOCUMENT_SYSTEM, SYSTEM
from rag.llm import make_chat_model
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import CHUNK, Store
from rag.types import Answer

HERE = Path(__file__).parent
QUICK_PER_KIND = 3
RESTART_WAIT_S = 300.0  # longest wait for a restarting model: loading it and its saved prompt state takes seconds


class Config(BaseModel):
    """One configuration to evaluate: settings overrides, or the plain LangChain baseline."""

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    baseline: bool = False


def load_configs(path: Path) -> list[Config]:
    """The configurations listed in a JSON file."""
    return [Config(**c) for c in json.loads(path.read_text(encoding="utf-8"))]


def wait_while_restarting(model: Any, limit: float = RESTART_WAIT_S, poll: float = 0.5) -> str:
    """Wait while a supervised model starts or restarts; returns its state then.

    After a crash or a timeout the worker is replaced in the background, and every answer meanwhile quotes the
    sources at once. The product is right to answer so; the eval is not measuring that, so it waits, and one failure
    costs it one answer instead of every answer asked during the restart."""
    status = getattr(model, "status", None)
    if status is None:
        return "ready"
    deadline = time.monotonic() + limit
    while (state := status()["state"]) in ("starting", "restarting") and time.monotonic() < deadline:
        time.sleep(poll)
    return state


def leaked(answer: str) -> bool:
    """Whether the answer repeats any six consecutive words of either system prompt's instructions."""
    text = " ".join(answer.lower().split())
    for prompt in (SYSTEM, DOCUMENT_SYSTEM):
        words = prompt.lower().split()
        if any(" ".join(words[i : i + 6]) in text for i in range(len(words) - 5)):
            return True
    return False


class Evaluator:
    """Runs gold items through configurations that share one store and one copy of each model."""

    def __init__(self, settings: Settings, store: Store, items: list[GoldItem]) -> None:
        self.settings = settings
        self.store = store
        self.items = items
        self.gold = gold_ids(items, store.sentences())
        chunks = store.chroma.get(where={"kind": CHUNK}, include=["metadatas"])
        self.chunk_sentences = {i: m["sentence_ids"].split(",") for i, m in zip(chunks["ids"], chunks["metadatas"])}
        self._models: dict[str, Any] = {}

    def _model(self, settings: Settings) -> Any:
        key = f"{settings.llm}|{settings.llm_model}|{settings.llm_model_path}|{settings.llm_max_tokens}"
        if key not in self._models:
            self._models[key] = make_chat_model(settings)
        return self._models[key]

    def run(self, config: Config, progress: bool = True) -> list[ItemResult]:
        """Every item through one configuration."""
        settings = self.settings.model_copy(update=config.settings)
        model = self._model(settings)
        pipeline = Pipeline(self.store, model, settings)
        baseline = BaselineRAG(self.store, model, k=settings.top_k) if config.baseline else None
        results = []
        for item in tqdm(self.items, desc=config.name, disable=not progress, leave=False):
            wait_while_restarting(model)
            first: list[float] = []
            began = time.perf_counter()

            def on_token(_: str, first: list[float] = first, began: float = began) -> None:
                if not first:
                    first.append((time.perf_counter() - began) * 1000)

            if baseline is not None:
                answer = baseline.answer(item.question, on_token=on_token)
                units = [self.chunk_sentences.get(c.id, []) for c in answer.citations]
                retrieved = [sid for c in answer.citations for sid in self.chunk_sentences.get(c.id, [])]
                hits = []
            else:
                answer = pipeline.answer(item.question, item.history, on_token=on_token)
                units = [[c.id] for c in answer.citations]
                hits = pipeline.retrieve(pipeline.queries(item.question, item.history))
                retrieved = [h.sentence.id for h in hits]
            best = max((h.score for h in hits), default=None) if baseline is None else None
            results.append(self._result(item, answer, units, retrieved, first[0] if first else None, best))
        return results

    def _result(
        self,
        item: GoldItem,
        answer: Answer,
        units: list[list[str]],
        retrieved: list[str],
        ttft: float | None,
        best: float | None = None,
    ) -> ItemResult:
        texts = [c.text for c in answer.citations]
        return ItemResult(
            id=item.id,
            kind=item.kind,
            question=item.question,
            answer=answer.answer,
            refused=answer.refused,
            mode=answer.mode,
            gold=sorted(self.gold[item.id]),
            retrieved=retrieved,
            cited=units,
            cited_texts=texts,
            sentence_citations=[s.citations for s in answer.sentences],
            unsupported=0.0 if answer.refused else unsupported_share(_plain(answer), texts),
            timings_ms=answer.timings_ms,
            ttft_ms=ttft,
            leaked=leaked(answer.answer),
            dropped=len(answer.dropped),
            best_score=best,
            answerable=answer.answerable,
            on_point=answer.on_point,
            declined=answer.declined,
            min_cited=item.min_cited,
            notice=answer.notice,
            drafted=answer.drafted,
            unmentioned=answer.unmentioned,
        )


def _plain(answer: Answer) -> str:
    """The answer's words without citation markers."""
    return " ".join(s.text for s in answer.sentences) if answer.sentences else answer.answer


def check_thresholds(metrics: dict[str, dict[str, Any]], thresholds: dict[str, Any]) -> list[str]:
    """Every (configuration, metric) that misses its committed bound, as a sentence."""
    misses = []
    for name, bounds in thresholds.items():
        if name not in metrics:
            continue
        for metric, bound in bounds.items():
            value = metrics[name].get(metric)
            if value is None:
                misses.append(f"{name}: {metric} was not measured")
            elif "min" in bound and value < bound["min"]:
                misses.append(f"{name}: {metric} = {value} is below the minimum {bound['min']}")
            elif "max" in bound and value > bound["max"]:
                misses.append(f"{name}: {metric} = {value} is above the maximum {bound['max']}")
    return misses


def llama_cpu() -> str:
    """The CPU target of the installed llama.cpp build: "avx512", "avx2", "other" (not x86-64), or "none" without
    llama-cpp-python.

    Greedy drafts repeat run after run only within one build: another one rounds differently, and some drafts
    change. So the quick eval's bounds, set one item below what it measured, are committed per build
    (``quick-avx512`` beside ``quick``, the AVX2 build's), each set on its own build."""
    try:
        import llama_cpp
    except ImportError:
        return "none"
    info = llama_cpp.llama_print_system_info().decode()
    return next((cpu for flag, cpu in (("AVX512 = 1", "avx512"), ("AVX2 = 1", "avx2")) if flag in info), "other")


def committed_bounds(thresholds: dict[str, Any], scope: str, cpu: str) -> dict[str, Any]:
    """The bounds of this scope for this build: its own section where one is committed, else the scope's."""
    return thresholds.get(f"{scope}-{cpu}", thresholds.get(scope, {}))


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Run the eval on every corpus; returns 1 when a configuration misses a threshold."""
    parser = argparse.ArgumentParser(prog="alliance-qa eval", description="Score configurations on the gold sets.")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PER_KIND} items of each kind, quick configs")
    parser.add_argument("--per-kind", type=int, help="only the first N items of each kind")
    parser.add_argument("--configs", type=Path, help="JSON list of configurations (default: eval/configs*.json)")
    parser.add_argument("--thresholds", type=Path, default=HERE / "thresholds.json")
    parser.add_argument(
        "--corpus", action="append", choices=[c.name for c in CORPORA], help="only this corpus (repeatable)"
    )
    parser.add_argument("--questions", type=Path, help="gold file to use instead of the corpus's own (one corpus)")
    parser.add_argument("--out", type=Path, default=HERE / "reports", help="reports go in <out>/<timestamp>/")
    args = parser.parse_args(argv)

    settings = settings or Settings()
    chosen = [c for c in CORPORA if not args.corpus or c.name in args.corpus]
    if args.questions:
        if len(chosen) != 1:
            parser.error("--questions needs exactly one --corpus")
        chosen = [EvalCorpus(chosen[0].name, args.questions, chosen[0].folder)]
    configs = load_configs(args.configs or HERE / ("configs-quick.json" if args.quick else "configs.json"))
    scope = "quick" if args.quick else "subset" if args.per_kind else "full"
    bounds = committed_bounds(json.loads(args.thresholds.read_text()), scope, llama_cpu())
    out = args.out / datetime.now().strftime("%Y%m%d-%H%M%S")

    runs: dict[str, CorpusRun] = {}
    for corpus in chosen:
        items = load_gold(corpus.questions)
        if args.quick or args.per_kind:
            items = stratified(items, args.per_kind or QUICK_PER_KIND)
        corpus_settings = corpus.settings(settings)
        store = open_store(corpus_settings)
        ingest_default(corpus_settings, store, progress=False)
        evaluator = Evaluator(corpus_settings, store, items)
        results = {c.name: evaluator.run(c) for c in configs}
        metrics = {name: score(r) for name, r in results.items()}
        kinds = {name: by_kind(r) for name, r in results.items()}
        misses = [f"{corpus.name}: {m}" for m in check_thresholds(metrics, bounds.get(corpus.name, {}))]
        write_report(out / corpus.name, scope, configs, corpus_settings, results, metrics, kinds, misses)
        runs[corpus.name] = CorpusRun(metrics=metrics, misses=misses)
        print(f"\n{corpus.name} ({len(items)} questions)")
        print_table(metrics)
        for name, r in results.items():
            if without := [x for x in r if x.notice]:
                print(f"WARNING: {corpus.name}: {name}: {len(without)} answers were written without the model "
                      f"({without[0].notice}); its figures understate it")  # fmt: skip

    misses = [m for run in runs.values() for m in run.misses]
    write_summary(out, scope, {name: run.metrics for name, run in runs.items()}, misses)
    print(f"report: {out / 'report.md'}")
    for miss in misses:
        print(f"THRESHOLD MISSED: {miss}")
    return 1 if misses else 0


class CorpusRun(BaseModel):
    """One corpus's metrics per configuration and its missed thresholds."""

    metrics: dict[str, dict[str, Any]]
    misses: list[str]


if __name__ == "__main__":
    raise SystemExit(main())
