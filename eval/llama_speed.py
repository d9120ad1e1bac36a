"""``python -m eval.llama_speed``: prompt and generation tokens per second of the installed llama.cpp build.

It reads the essay's document prompt (the prefix every question shares) from an empty cache and then generates a
fixed number of tokens greedily, with the configured model and threads, several times; it prints the medians as
JSON. Run it once per build to choose CPU flags (the Makefile's ``LLAMA_CMAKE``), e.g. with a second build
installed elsewhere: ``PYTHONPATH=/tmp/llama-avx512 python -m eval.llama_speed``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from eval.processes import ROOT


def measure(runs: int, generate: int) -> dict[str, object]:
    import llama_cpp

    from rag.answer.prompt import document_prefix
    from rag.llm.engine import LlamaEngine
    from rag.llm.weights import model_file
    from rag.settings import Settings
    from rag.text.sentences import split_sentences
    from rag.types import Sentence

    settings = Settings()
    text = (ROOT / "data" / "japan_us_alliance.txt").read_text(encoding="utf-8")
    sentences = [
        Sentence(id=str(i), source="essay", text=text[s:e], start=s, end=e, index=i)
        for i, (s, e) in enumerate(split_sentences(text))
    ]
    path = settings.llm_model_path or str(model_file(settings.llm_model, settings.model_dir))
    engine = LlamaEngine(path, "speed", n_ctx=settings.llm_context, n_threads=settings.llm_threads)
    engine.load()
    llm = engine._llm
    messages = [{"role": "system", "content": document_prefix(sentences).text}]
    _, prefix, _ = engine.prompt(messages + [{"role": "user", "content": "x"}])
    prompt_rates, generation_rates = [], []
    for _ in range(runs):
        llm.reset()
        began = time.perf_counter()
        llm.eval(prefix)
        prompt_rates.append(len(prefix) / (time.perf_counter() - began))
        began = time.perf_counter()
        made = 0
        for _ in llm.generate([], temp=0.0, reset=False):
            made += 1
            if made >= generate:
                break
        generation_rates.append(made / (time.perf_counter() - began))
    return {
        "llama_cpp": llama_cpp.__version__,
        "library": str(llama_cpp.llama_cpp._lib._name),
        "model": path,
        "threads": settings.llm_threads,
        "prompt_tokens": len(prefix),
        "prompt_tokens_per_s": round(statistics.median(prompt_rates), 1),
        "generation_tokens_per_s": round(statistics.median(generation_rates), 1),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.llama_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generate", type=int, default=64, help="tokens generated per run")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.runs, args.generate), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
