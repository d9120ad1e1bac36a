"""The answer pipeline over a Markdown document, on the shipped fakes: sections, code units and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import Pipeline
from rag.llm.fake import ScriptedChatModel
from rag.settings import Settings
from tests.ingest.test_markup import README
from tests.samples import hashed_store


@pytest.fixture
def readme(tmp_path: Path) -> tuple[Pipeline, ScriptedChatModel]:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "README.md").write_text(README, encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="readme")
    store = hashed_store(settings)
    scripted = ScriptedChatModel()
    return Pipeline(store, scripted, settings), scripted


def test_the_model_sees_sections_and_code_but_no_markup(readme):
    pipeline, scripted = readme
    scripted.enqueue("Install Tern with cargo: [3]")
    pipeline.answer("How do I install Tern?")
    prompt = scripted.calls[0][0].content
    assert "Section: Tern › Install" in prompt and "code:\ncargo install tern\n" in prompt
    for markup in ("<img", "badge.svg", "```", "# Tern", "[docs]:"):
        assert markup not in prompt


def test_an_answer_citing_the_sentence_before_a_code_block_shows_the_command(readme):
    pipeline, scripted = readme
    scripted.enqueue("Install Tern with cargo. [1]")
    answer = pipeline.answer("How do I install Tern?")
    assert not answer.refused
    assert [(c.text, c.code, c.section) for c in answer.citations] == [
        ("Install Tern with cargo:", False, "Tern › Install"),
        ("cargo install tern", True, "Tern › Install"),
    ]
    assert answer.sentences[0].citations == [1, 2]


def test_a_refusal_names_the_sections_the_document_covers(readme):
    pipeline, scripted = readme
    pipeline.settings = pipeline.settings.model_copy(update={"refusal_threshold": 0.99})
    answer = pipeline.answer("What port does it listen on by default?")
    assert answer.refused
    assert "README.md: sections “Tern”, “Install”, “Alternative servers”." in answer.answer  # the ones with text
    assert "<" not in answer.answer


def test_a_draft_quoting_an_option_the_document_never_shows_is_refused_for_it(readme):
    # An invented option is a name the documents never mention; the misquoted command in the next test is not refused.
    pipeline, scripted = readme
    scripted.enqueue("Install Tern with cargo and pass `--verify` to check the download.")
    answer = pipeline.answer("How do I install Tern so that cargo checks the download?")
    assert answer.refused and answer.citations == [] and "never mention: --verify" in answer.answer


def test_an_option_a_heading_names_is_no_fact_the_documents_never_mention(tmp_path):
    # A manual's options are headings over what they do ("--enable-cache-owner[=ARG]", then "By default…").
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "manual.md").write_text(
        "# Options\n\nThe installer takes several options.\n\n## --verify\n\nChecks the download after it finishes.\n"
    )
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="manual")
    scripted = ScriptedChatModel()
    pipeline = Pipeline(hashed_store(settings), scripted, settings)
    scripted.enqueue("The installer takes several options, such as `--verify`.")
    answer = pipeline.answer("Which options does the installer take?")
    assert not answer.refused and answer.mode == "extractive"


def test_a_misquoted_command_sinks_its_sentence_not_the_answer(readme):
    pipeline, scripted = readme
    scripted.enqueue("Install Tern with `cargo install tern --force`.")
    answer = pipeline.answer("How do I install Tern?")
    assert not answer.refused and answer.mode == "extractive"  # the sources are quoted instead
    assert answer.dropped == ["Install Tern with `cargo install tern --force`."]


def test_a_draft_that_needs_a_url_the_document_never_holds_is_refused_for_it(readme):
    pipeline, scripted = readme
    scripted.enqueue(
        "The install guide is at https://tern.example/install.", "The docs are at https://tern.example/docs."
    )
    answer = pipeline.answer("Where is the install guide?")
    assert answer.refused and "never mention: https://tern.example/install" in answer.answer
    answer = pipeline.answer("Where are the docs?")  # one it holds is cited where it is written
    assert not answer.refused and answer.mode == "generated"
    assert "Documentation: https://tern.example/docs" in [c.text for c in answer.citations]


def test_an_answer_citing_the_sentence_before_a_list_shows_the_list_item_by_item(tmp_path: Path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "guide.md").write_text(
        "# Tern\n\nTern serves these formats:\n\n- HTML pages.\n- CSS files.\n  They are cached.\n\nEvery request "
        "is logged.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="guide")
    scripted = ScriptedChatModel().enqueue("Tern serves several formats. [1]")
    answer = Pipeline(hashed_store(settings), scripted, settings).answer("Which formats does Tern serve?")
    assert "[2] HTML pages.\n[3] CSS files.\n[4] They are cached." in scripted.calls[0][0].content
    assert answer.answer == "Tern serves several formats. [1]\n- HTML pages. [2]\n- CSS files. They are cached. [3][4]"
    assert [(c.text, c.item) for c in answer.citations] == [
        ("Tern serves these formats:", False),
        ("HTML pages.", True),
        ("CSS files.", True),
        ("They are cached.", True),
    ]


def test_a_refusal_quotes_a_plain_text_documents_wrapped_opening_on_one_line(tmp_path: Path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "LICENSE.txt").write_text(
        "                 Tern License\n            Version 2, January 2004\n\nYou may copy it freely.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state", collection="license", refusal_threshold=0.99)
    answer = Pipeline(hashed_store(settings), ScriptedChatModel(), settings).answer("What port does it use?")
    assert answer.refused and "LICENSE.txt: “Tern License Version 2, January 2004”" in answer.answer
