"""Ingest details against a real Chroma store; the store contract (idempotency, edits, deletes, the keyword
index) runs on both store modes in test_store_contract.py."""

from __future__ import annotations

import random
import re
import tracemalloc
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load
from ingest.sync import ingest, ingest_default
from rag.answer import Pipeline
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import CHUNK, SENTENCE, Store, open_chroma
from rag.store.embeddings import HashEmbeddings
from rag.store.texts import kept_text
from tests.samples import PAGE_ONE, PAGE_TWO, make_pdf
from ui import cli


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_chroma(tmp_path / "chroma", "test-collection", HashEmbeddings()), tmp_path / "kw.json")


def snapshot(store: Store) -> tuple[list[str], int, int]:
    return sorted(store.ids()), store.count(SENTENCE), store.count(CHUNK)


def run(corpus: Path, store: Store, tmp_path: Path):
    return ingest([corpus], store, tmp_path / "texts", progress=False)


def test_ids_come_from_content_not_from_the_run(corpus, tmp_path):
    one = Store(open_chroma(tmp_path / "one", "test-collection", HashEmbeddings()), tmp_path / "one.json")
    two = Store(open_chroma(tmp_path / "two", "test-collection", HashEmbeddings()), tmp_path / "two.json")
    run(corpus, one, tmp_path)
    run(corpus, two, tmp_path)
    assert snapshot(one) == snapshot(two)


def test_a_file_cut_differently_by_a_new_splitter_is_rewritten_on_the_next_ingest(corpus, store, tmp_path, monkeypatch):
    run(corpus, store, tmp_path)
    before = {s.text for s in store.sentences()}

    def whole(text):  # a "new version" of the splitter: every paragraph is one sentence
        return [(m.start(), m.end()) for m in re.finditer(r"\S(?:.*\S)?", text)]

    monkeypatch.setattr("ingest.chunks.split_sentences", whole)
    report = run(corpus, store, tmp_path)
    after = {s.text for s in store.sentences()}
    assert report.added > 0 and after != before
    assert after == {s.text for s in Pipeline(store, None, Settings()).collection().sentences}
    assert report.removed > 0 and store.count(SENTENCE) == len(after)


def test_the_vector_index_is_checked_after_deletes_or_an_interrupted_run(corpus, store, tmp_path, monkeypatch):
    checked = []
    monkeypatch.setattr(Store, "unreachable", lambda self: checked.append(True) or [])
    run(corpus, store, tmp_path)
    run(corpus, store, tmp_path)
    assert checked == [] and not list(tmp_path.glob("kw.ingesting")), "a run that deleted nothing checked"

    tmp_path.joinpath("kw.ingesting").touch()  # what a killed run leaves
    report = run(corpus, store, tmp_path)
    assert checked == [True] and report.reindexed == 0 and report.removed == 0
    assert not tmp_path.joinpath("kw.ingesting").exists()

    (corpus / "b.md").unlink()
    assert run(corpus, store, tmp_path).removed > 0 and checked == [True, True]


def test_records_missing_from_the_vector_index_are_written_again(corpus, store, tmp_path, monkeypatch):
    run(corpus, store, tmp_path)
    lost = store.ids({"kind": SENTENCE})[:3]
    rewritten: list[str] = []
    monkeypatch.setattr(Store, "unreachable", lambda self: lost)
    monkeypatch.setattr(Store, "reindex", lambda self, ids: rewritten.extend(ids))
    tmp_path.joinpath("kw.ingesting").touch()
    report = run(corpus, store, tmp_path)
    assert report.reindexed == 3 and rewritten == lost and "3 re-indexed" in report.summary()


def test_reindex_writes_records_back_unchanged(corpus, store, tmp_path):
    run(corpus, store, tmp_path)
    assert store.unreachable() == []
    ids = store.ids({"kind": SENTENCE})[:3]
    before = store.chroma.get(ids=ids, include=["embeddings", "documents", "metadatas"])
    store.reindex(ids)
    after = store.chroma.get(ids=ids, include=["embeddings", "documents", "metadatas"])
    assert after["documents"] == before["documents"] and after["metadatas"] == before["metadatas"]
    assert (after["embeddings"] == before["embeddings"]).all()
    assert store.unreachable() == []


def test_records_sharing_one_vector_with_many_others_count_as_reachable(tmp_path, store):
    texts = " ".join("Ships sail east." if i % 2 else "East sail ships." for i in range(30))
    (tmp_path / "twins").mkdir()
    (tmp_path / "twins" / "t.txt").write_text(texts + "\n\nA different sentence entirely.\n")
    run(tmp_path / "twins", store, tmp_path)
    assert store.count(SENTENCE) == 31
    assert store.unreachable() == []


def test_bad_files_are_skipped_by_name_and_the_rest_ingested(corpus, store, tmp_path):
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me.".encode("latin-1"))
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02PNG")
    report = run(corpus, store, tmp_path)
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "latin1.txt", "binary.md"}
    assert "empty" in skipped["empty.txt"] and "UTF-8" in skipped["latin1.txt"] and "binary" in skipped["binary.md"]
    assert set(store.files()) == {"a.txt", "b.md"}


def test_a_file_with_only_headings_is_skipped_and_keeps_its_last_version(corpus, store, tmp_path):
    # Found by the ingest fuzz: a heading is no citable sentence, so such a file was ingested with nothing in it.
    (corpus / "c.md").write_text("# Notes\n\nA sentence to cite.\n", encoding="utf-8")
    run(corpus, store, tmp_path)
    (corpus / "c.md").write_text("# Notes\n\n## Later\n", encoding="utf-8")
    (corpus / "d.html").write_text("<html><body><h1>Title</h1></body></html>", encoding="utf-8")
    skipped = dict(run(corpus, store, tmp_path).skipped)
    assert set(skipped) == {"c.md", "d.html"} and "no sentence to cite" in skipped["d.html"]
    assert [s.text for s in store.sentences("c.md")] == ["A sentence to cite."]
    assert "d.html" not in store.files()


def test_offsets_slice_the_kept_text(corpus, store, tmp_path):
    run(corpus, store, tmp_path)
    for source, sha in store.files().items():
        text = kept_text(tmp_path / "texts", sha)
        assert text == (corpus / source).read_text(encoding="utf-8")
        for sentence in store.sentences(source):
            assert text[sentence.start : sentence.end] == sentence.text


def test_missing_path_is_a_clear_error(store, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        ingest([tmp_path / "nope"], store, tmp_path / "texts", progress=False)


def test_large_reads_and_deletes_are_paged(corpus, store, tmp_path, monkeypatch):
    """Chroma fails one get of tens of thousands of records ('too many SQL variables'); pages must add up."""
    run(corpus, store, tmp_path)
    everything = sorted(store.ids())
    monkeypatch.setattr("rag.store.chroma.PAGE", 2)
    assert sorted(store.ids()) == everything and len(everything) > 6
    assert [s.text for s in store.sentences("a.txt")] == [
        "Alpha is first.",
        "Beta follows it.",
        "Gamma starts a paragraph.",
    ]
    (corpus / "b.md").unlink()
    run(corpus, store, tmp_path)
    assert {s.source for s in store.sentences()} == {"a.txt"}


# --- a folder of bad files ---------------------------------------------------------------------------------------

HUGE = 50 * 1024 * 1024


def write_huge_text(path: Path, size: int) -> None:
    """A real text file of ``size`` bytes, written a megabyte at a time."""
    line = b"The treaty fills this very large file with the same sentence again. "
    block = line * (1024 * 1024 // len(line) + 1)
    with path.open("wb") as out:
        for written in range(0, size, 1024 * 1024):
            out.write(block[: min(1024 * 1024, size - written)])


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    """Two good files among every kind of bad one: binary, a PNG posing as a PDF, a cut PDF, empty, not UTF-8,
    and 50 MB of text."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("Kobe ships beef abroad. Nara keeps its deer.", encoding="utf-8")
    (folder / "good.html").write_text("<p>Sendai grows rice.</p><p>Osaka merchants trade.</p>", encoding="utf-8")
    (folder / "noise.txt").write_bytes(random.Random(7).randbytes(4096))
    (folder / "picture.pdf").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(8).randbytes(512))
    whole = make_pdf([PAGE_ONE, PAGE_TWO])
    (folder / "cut.pdf").write_bytes(whole[: len(whole) * 2 // 3])
    (folder / "empty.md").write_bytes(b"")
    (folder / "latin1.txt").write_bytes("Le caf\xe9 est cr\xe8me.".encode("latin-1"))
    write_huge_text(folder / "huge.txt", HUGE)
    return folder


def test_every_bad_file_is_skipped_by_name_with_its_reason_and_the_good_ones_answer(bad_folder, tmp_path):
    settings = Settings(data_dir=bad_folder, state_dir=tmp_path / "state", refusal_threshold=-1.0)
    store = open_store(settings, HashEmbeddings())
    tracemalloc.start()
    try:
        report = ingest_default(settings, store, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    skipped = dict(report.skipped)
    assert set(skipped) == {"noise.txt", "picture.pdf", "cut.pdf", "empty.md", "latin1.txt", "huge.txt"}
    assert "binary" in skipped["noise.txt"] or "UTF-8" in skipped["noise.txt"]
    assert "not a PDF" in skipped["picture.pdf"]
    assert "broken or truncated PDF" in skipped["cut.pdf"]
    assert "empty" in skipped["empty.md"]
    assert "not UTF-8 text" in skipped["latin1.txt"] and "save it as UTF-8" in skipped["latin1.txt"]
    assert "50.0 MiB" in skipped["huge.txt"] and "20.0 MiB" in skipped["huge.txt"]
    assert "max_document_bytes" in skipped["huge.txt"]
    assert peak < HUGE // 2, f"ingest held {peak} bytes at once: the 50 MB file was read"

    assert set(store.files()) == {"good.txt", "good.html"} and report.files == 2
    assert set(store.keywords().by_id) == set(store.ids({"kind": SENTENCE}))
    pipeline = Pipeline(store, None, settings)
    answer = pipeline.answer("What does Sendai grow?")
    assert not answer.refused and answer.citations[0].source == "good.html"
    assert answer.citations[0].text == "Sendai grows rice."
    assert pipeline.answer("Who keeps deer?").citations[0].text == "Nara keeps its deer."


def test_a_file_over_the_limit_is_refused_from_its_size_without_being_read(tmp_path):
    write_huge_text(tmp_path / "huge.md", HUGE)
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match="over the limit"):
            load(tmp_path / "huge.md", max_bytes=HUGE - 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
    assert load(tmp_path / "huge.md", max_bytes=HUGE).text.startswith("The treaty fills")


def test_a_small_file_is_read_without_reserving_the_size_limit(tmp_path):
    (tmp_path / "small.txt").write_text("Kobe ships beef abroad.", encoding="utf-8")
    load(tmp_path / "small.txt", max_bytes=HUGE)  # the loader's imports, once
    tracemalloc.start()
    try:
        load(tmp_path / "small.txt", max_bytes=HUGE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, f"reading 23 bytes held {peak} bytes at once"


def test_the_size_limit_comes_from_settings_and_a_file_at_the_limit_is_read(corpus, tmp_path):
    size = (corpus / "a.txt").stat().st_size
    settings = Settings(data_dir=corpus, state_dir=tmp_path / "state", max_document_bytes=size)
    store = open_store(settings, HashEmbeddings())
    (corpus / "b.md").write_text("Just over. " * 100, encoding="utf-8")
    report = ingest_default(settings, store, progress=False)
    assert [name for name, _ in report.skipped] == ["b.md"]
    assert f"over the limit of {size} bytes" in dict(report.skipped)["b.md"]
    assert set(store.files()) == {"a.txt"}


def test_the_cli_ingest_applies_the_size_limit(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ALLIANCE_QA_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ALLIANCE_QA_MAX_DOCUMENT_BYTES", "55")  # b.md has 52 bytes, a.txt 58
    monkeypatch.setattr("rag.service.open_store", lambda settings: open_store(settings, HashEmbeddings()))
    assert cli.main(["ingest", str(corpus)]) == 0
    err = capsys.readouterr().err
    assert "skipped a.txt: the file is 58 bytes, over the limit of 55 bytes" in err
    assert "skipped b.md" not in err


# Found by tests/test_ingest_fuzz.py: each used to escape ingest as an exception other than LoadError.
ODD_HTML = {
    "marked": b"<p>Before it.</p><![foo[ odd ]]><p>After it.</p>",
    "nameless": b"<p>Kept.</p><![<p>Also kept.</p>",
    "punycode": b'<meta charset="punycode"><p>x</p><',
    "utf-7": b'<meta charset="utf-7"><p>Hi +2D0- there.</p>',
    "unicode_escape": b'<meta charset="unicode_escape"><p>\\ud800</p>',
}


def test_odd_html_markup_is_skipped_as_a_browser_would(tmp_path):
    (tmp_path / "marked.html").write_bytes(ODD_HTML["marked"])
    (tmp_path / "nameless.html").write_bytes(ODD_HTML["nameless"])
    assert load(tmp_path / "marked.html").text == "Before it.\n\nAfter it."
    assert load(tmp_path / "nameless.html").text.startswith("Kept.")


@pytest.mark.parametrize(
    "charset,reason",
    [("punycode", "not punycode text"), ("utf-7", "invalid character at offset 3"), ("unicode_escape", "invalid")],
)
def test_a_charset_that_cannot_give_unicode_text_is_a_load_error(tmp_path, charset, reason):
    (tmp_path / "page.html").write_bytes(ODD_HTML[charset])
    with pytest.raises(LoadError, match=reason):
        load(tmp_path / "page.html")


@pytest.mark.parametrize("name", ["crlf.txt", "crlf.html"])
def test_kept_text_keeps_carriage_returns_so_offsets_and_hashes_hold(store, tmp_path, name):
    # Found by the ingest fuzz test: reading the kept text back with newline translation turned "\r" into "\n".
    folder = tmp_path / "cr"
    folder.mkdir()
    body = "First line ends here.\r\nSecond one\rcontinues. Third.\r\n"
    (folder / name).write_bytes((f"<p>{body}</p>" if name.endswith("html") else body).encode())
    ingest([folder], store, tmp_path / "texts", progress=False)
    loaded = load(folder / name).text
    [(source, sha)] = store.files().items()
    assert kept_text(tmp_path / "texts", sha) == loaded
    assert all(loaded[s.start : s.end] == s.text for s in store.sentences(source))
