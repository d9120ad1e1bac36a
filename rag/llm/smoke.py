"""``python -m rag.llm.smoke``: one generation with the configured embedded model, in a child process, after install.

A llama.cpp build that uses instructions this CPU lacks dies with SIGILL on its first matrix product; run in a child
process, that death is reported with its cause and the fix instead of taking the caller down. Exit status 0 when the
model answered, 1 otherwise.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from rag.llm.weights import ModelFileError, model_file
from rag.settings import Settings

_CHILD = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=int(sys.argv[2]), seed=0, verbose=False)
out = llm.create_chat_completion(messages=[{"role": "user", "content": "Say OK."}], max_tokens=8, temperature=0)
print(repr(out["choices"][0]["message"]["content"]))
"""

FIX = (
    "llama-cpp-python was built for instructions this CPU cannot run. Rebuild it with the portable flags: "
    "rm -rf ~/.cache/alliance-qa/wheels .venv && make setup (see the Makefile's LLAMA_CMAKE)"
)


def main() -> int:
    settings = Settings()
    try:
        path = settings.llm_model_path or str(model_file(settings.llm_model, settings.model_dir))
    except ModelFileError as exc:
        print(f"smoke test: the model file is not usable: {exc}", file=sys.stderr)
        return 1
    began = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, path, str(settings.llm_threads)], capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - began
    if child.returncode == 0:
        print(f"smoke test: {path} answered {child.stdout.strip()} in {seconds:.1f} s")
        return 0
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        print(f"smoke test: the model process died with {name}.", file=sys.stderr)
        if -child.returncode == signal.SIGILL:
            print(FIX, file=sys.stderr)
    else:
        print(f"smoke test: the model process failed (exit {child.returncode}).", file=sys.stderr)
    print(child.stderr[-2000:], file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
