"""The install-time smoke test: a model process that dies is reported with its signal and the fix."""

from __future__ import annotations

from rag.llm import smoke


def test_a_child_killed_by_sigill_is_reported_with_the_rebuild_fix(monkeypatch, capsys, tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("ALLIANCE_QA_LLM_MODEL_PATH", str(model))
    monkeypatch.setattr(smoke, "_CHILD", "import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    assert smoke.main() == 1
    err = capsys.readouterr().err
    assert "died with SIGILL" in err and "make setup" in err


def test_a_model_that_answers_passes(monkeypatch, capsys, tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("ALLIANCE_QA_LLM_MODEL_PATH", str(model))
    monkeypatch.setattr(smoke, "_CHILD", "print(repr('OK.'))")
    assert smoke.main() == 0 and "answered 'OK.'" in capsys.readouterr().out
