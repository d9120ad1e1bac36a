"""The llama.cpp engine with the light embedded model: the prompt prefix's KV cache kept, saved and loaded again."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.llm.engine import LlamaEngine, PromptTooLong
from rag.llm.supervisor import WorkerEngine
from rag.llm.weights import smollm2_path

SYSTEM = "You answer questions about the list below, briefly.\n" + "\n".join(
    f"[{n}] Harbour {n} handles {n * 3} ships a week and opened in the year {1900 + n}." for n in range(1, 13)
)


def messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


def engine(states: Path) -> LlamaEngine:
    return LlamaEngine(str(smollm2_path()), "smollm2-test", n_ctx=1024, n_threads=2, states_dir=states)


@pytest.mark.slow
def test_the_prefix_is_computed_once_saved_and_loaded_by_a_new_engine(tmp_path: Path):
    first = engine(tmp_path)
    assert first.warm(messages("x")) == "computed"
    assert first.warm(messages("another question")) == "cached"  # same first message: same prefix
    (state,) = tmp_path.glob("*.kv")
    answer = "".join(first.stream(messages("How many ships does harbour 4 handle?"), 24))

    second = engine(tmp_path)
    assert second.warm(messages("x")) == "loaded"
    assert "".join(second.stream(messages("How many ships does harbour 4 handle?"), 24)) == answer
    assert state.stat().st_size < 20_000_000  # the KV cache only, no logits


@pytest.mark.slow
def test_a_damaged_state_is_computed_again(tmp_path: Path):
    engine(tmp_path).warm(messages("x"))
    (state,) = tmp_path.glob("*.kv")
    state.write_bytes(state.read_bytes()[:1000])
    fresh = engine(tmp_path)
    assert fresh.warm(messages("x")) == "computed"
    assert "".join(fresh.stream(messages("Which harbour opened in 1905?"), 16)).strip()


@pytest.mark.slow
def test_a_prompt_that_leaves_no_room_for_the_answer_is_refused(tmp_path: Path):
    with pytest.raises(PromptTooLong, match="context window holds 1024"):
        list(engine(tmp_path).stream(messages("Which harbour is busiest?"), 1000))


@pytest.mark.slow
def test_a_choice_is_a_probability_over_the_options(tmp_path: Path):
    probabilities = engine(tmp_path).choice(messages("Is there a harbour 3? Reply YES or NO."), ["YES", "NO"])
    assert set(probabilities) == {"YES", "NO"} and abs(sum(probabilities.values()) - 1) < 1e-6


@pytest.mark.slow
def test_the_worker_counts_tokens_as_the_engine_does_without_loading_weights_or_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    text = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
    counted = WorkerEngine(str(smollm2_path()), "smollm2-test").count_tokens(text)  # no worker is started for it
    assert counted == engine(tmp_path).count_tokens(text) > 100
    assert "n_ctx" not in capfd.readouterr().err


@pytest.mark.slow
def test_a_state_saved_by_another_build_of_llama_cpp_is_computed_again(tmp_path: Path):
    engine(tmp_path).warm(messages("x"))
    other = engine(tmp_path)
    other.load()
    other.build += " AVX512 = 1"  # the same version built with other CPU features rounds differently
    assert other.warm(messages("x")) == "computed"
    assert engine(tmp_path).warm(messages("x")) == "loaded"  # the first build's state is still there
