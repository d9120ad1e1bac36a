"""One llama.cpp model with a reusable prompt prefix: the KV cache of a prompt's first message is kept in memory,
saved to disk per prefix, and reused by every prompt that starts with the same message."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Message = dict[str, str]
_CHUNK = 256  # prefix tokens decoded between two progress reports


class PromptTooLong(ValueError):
    """The prompt and the longest answer do not fit the model's context window."""


class LlamaEngine:
    """A GGUF model run by llama-cpp-python; one call at a time.

    llama.cpp reuses the KV cache of the longest token prefix a prompt shares with the previous call. The engine
    makes that prefix the whole first message (the fixed part: instructions and, for a small collection, the whole
    document) and keeps its KV state in ``states_dir`` under a digest of the model and the prefix's tokens, so
    that after a restart, or after another collection's prompt, it is loaded in milliseconds instead of re-read.
    """

    def __init__(
        self,
        model_path: str,
        model_id: str,
        n_ctx: int = 4096,
        n_threads: int = 2,
        states_dir: Path | None = None,
        keep_states: int = 8,
    ) -> None:
        self.model_path = model_path
        self.model_id = model_id
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.states_dir = states_dir
        self.keep_states = keep_states
        self._llm: Any = None
        self.build = ""  # llama.cpp's version and CPU features, once loaded: a saved state is only valid for one build
        self._templates: tuple[Any, Any] | None = None
        self._lock = threading.RLock()
        self.on_progress: Callable[[], None] = lambda: None  # called while a long prefix is being computed

    def load(self) -> None:
        """Load the weights (idempotent)."""
        with self._lock:
            if self._llm is not None:
                return
            try:
                import llama_cpp
                from llama_cpp import Llama
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            except ImportError as exc:
                raise ImportError(
                    "the llamacpp backend needs 'llama-cpp-python': run `make setup` (it builds a portable wheel)"
                ) from exc
            llm = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, seed=0, verbose=False)
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise ValueError(f"{self.model_path} carries no chat template: use an instruction-tuned GGUF")
            eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore")
            bos = (
                llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore")
                if llm.token_bos() >= 0
                else ""
            )
            self._templates = (
                Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True),
                Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=False),
            )
            self._llm = llm
            self.build = f"{llama_cpp.__version__} {llama_cpp.llama_print_system_info().decode()}"

    def tokens(self, text: str) -> list[int]:
        """The text's tokens, special tokens such as ``<|im_start|>`` read as such."""
        self.load()
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.tokens(text))

    def prompt(self, messages: list[Message]) -> tuple[list[int], list[int], list[str]]:
        """The prompt's tokens, the leading tokens it shares with any prompt of the same first message, and the stop
        strings of the chat template."""
        self.load()
        assert self._templates is not None
        ask, fixed = self._templates
        rendered = ask(messages=messages)
        tokens = self.tokens(rendered.prompt)
        first = self.tokens(fixed(messages=messages[:1]).prompt)
        shared = 0
        for a, b in zip(first, tokens):
            if a != b:
                break
            shared += 1
        stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        return tokens, tokens[:shared], stop

    def warm(self, messages: list[Message]) -> str:
        """Bring the KV cache of the first message's tokens into memory; returns how: cached, loaded or computed."""
        with self._lock:
            _, prefix, _ = self.prompt(messages)
            return self._ensure(prefix)

    def stream(self, messages: list[Message], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """The model's reply, piece by piece; ``PromptTooLong`` if the prompt leaves no room for ``max_tokens``."""
        with self._lock:
            tokens, prefix, stop = self.prompt(messages)
            if len(tokens) + max_tokens > self.n_ctx:
                raise PromptTooLong(
                    f"the prompt is {len(tokens)} tokens and the answer may take {max_tokens}: the context window "
                    f"holds {self.n_ctx} (ALLIANCE_QA_LLM_CONTEXT)"
                )
            self._ensure(prefix)
            for part in self._llm.create_completion(
                prompt=tokens, max_tokens=max_tokens, temperature=temperature, stop=stop, stream=True
            ):
                text = part["choices"][0]["text"]
                if text:
                    yield text

    def choice(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        """How likely the model is to start its reply with each option (by the option's first token), normalised
        over the options: a yes/no judgement in one decoding step."""
        import numpy as np

        with self._lock:
            tokens, prefix, _ = self.prompt(messages)
            first = [self.tokens(option)[0] for option in options]
            self._ensure(prefix)
            seen: list[np.ndarray] = []

            def capture(_: Any, scores: np.ndarray) -> np.ndarray:
                if not seen:
                    seen.append(np.asarray(scores, dtype=np.float64)[first])
                return scores

            self._llm.create_completion(prompt=tokens, max_tokens=1, temperature=0.0, logits_processor=[capture])
        logits = seen[0]
        weights = np.exp(logits - logits.max())
        return {option: float(w) for option, w in zip(options, weights / weights.sum())}

    def _ensure(self, prefix: list[int]) -> str:
        """Make the KV cache hold ``prefix``: it already does, or its saved state is loaded, or it is computed (and
        saved). Returns which of the three happened."""
        llm = self._llm
        if llm.n_tokens >= len(prefix) and list(llm.input_ids[: len(prefix)]) == prefix:
            return "cached"
        path = self._state_path(prefix)
        if path is not None and path.is_file():
            if self._load_state(path, prefix):
                os.utime(path)  # recently used states are kept longest
                return "loaded"
            path.unlink(missing_ok=True)
        began = time.perf_counter()
        llm.reset()
        for start in range(0, len(prefix), _CHUNK):
            llm.eval(prefix[start : start + _CHUNK])
            self.on_progress()
        log.info(
            "computed the KV cache of a %d-token prompt prefix in %.1f s", len(prefix), time.perf_counter() - began
        )
        if path is not None:
            self._save_state(path, prefix)
        return "computed"

    def _state_path(self, prefix: list[int]) -> Path | None:
        if self.states_dir is None or len(prefix) < 64:  # a short prefix is cheaper to compute than to read
            return None
        # Another build (other CPU features) computes the same cache with other rounding: its answers would differ
        # from this build's own, so its states are not loaded.
        key = f"{self.model_id}\0{self.n_ctx}\0{self.build}\0".encode()
        digest = hashlib.sha256(key + bytes(str(prefix), "ascii")).hexdigest()
        return self.states_dir / f"{digest[:32]}.kv"

    def _save_state(self, path: Path, prefix: list[int]) -> None:
        """Write the KV cache of sequence 0 (only the KV cache: no logits) atomically, and drop the oldest states."""
        import llama_cpp

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tokens = (llama_cpp.llama_token * len(prefix))(*prefix)
        try:
            if not llama_cpp.llama_state_seq_save_file(self._llm.ctx, str(tmp).encode(), 0, tokens, len(prefix)):
                log.warning("could not save the prompt state to %s", tmp)
                return
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        states = sorted(path.parent.glob("*.kv"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in states[self.keep_states :]:
            old.unlink(missing_ok=True)

    def _load_state(self, path: Path, prefix: list[int]) -> bool:
        """Whether the saved state was loaded and holds exactly ``prefix``; if not, the cache is left empty."""
        import llama_cpp

        llm = self._llm
        llm.reset()
        capacity = self.n_ctx
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        read = llama_cpp.llama_state_seq_load_file(
            llm.ctx, str(path).encode(), 0, tokens, capacity, ctypes.byref(count)
        )
        if not read or list(tokens[: count.value]) != prefix:
            log.warning("the saved prompt state %s does not match; computing it again", path)
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            return False
        llm.input_ids[: len(prefix)] = prefix
        llm.n_tokens = len(prefix)
        llm._requires_eval = True  # the logits are not part of the state: the next call decodes one token again
        return True
