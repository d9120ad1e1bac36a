"""Fuzzing ingest: random bytes and random text, as every supported file type, never crash it.

Each file is either ingested or skipped with a reason, and the store stays consistent. Besides plain random
bytes the strategies build inputs that get past each loader's first check: bytes after a ``%PDF-`` header, a
valid PDF cut or overwritten, zip archives with random members, a valid Word file with random XML, HTML made of
tricky fragments under any declared character set. Runs are bounded: see ``LOADER_EXAMPLES`` and
``INGEST_EXAMPLES``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunks import file_sha
from ingest.loaders import Loaded, LoadError, discover, load
from ingest.sync import ingest
from rag.store.chroma import FILE, SENTENCE, Store, open_chroma
from rag.store.embeddings import HashEmbeddings
from rag.store.texts import kept_text
from tests.samples import PAGE_ONE, PAGE_TWO, make_docx, make_pdf

LOADER_EXAMPLES = 1000
INGEST_EXAMPLES = 150
MAX_BYTES = 64 * 1024  # small, so that the limit is hit now and then as well

FUZZ = settings(
    max_examples=LOADER_EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

VALID_PDF = make_pdf([PAGE_ONE, PAGE_TWO])
VALID_DOCX = make_docx(["Hiroshima rebuilt its harbour.", "Nara keeps its deer."])
DOCX_MEMBERS = ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels"]
HTML_FRAGMENTS = [
    "<p>", "</p>", "<br>", "<br/>", "<div>", "</div>", "<pre>", "</pre>", "<script>", "</script>", "<style>",
    "<head>", "<body>", "<![", "<![CDATA[", "]]>", "<![if x]>", "<!--", "-->", "<!doctype html>", "<!x", "</",
    "<a href='", "\"", ">", "<", "&amp;", "&#0;", "&#xD800;", "&#x110000;", "&nbsp", "\x00", "\r\n", "\n\n",
    "Kobe ships beef. ", "U.S. ", "3.5 ", "…", "日本。", "\u2028", "\ufeff", "+2D0-", "\\ud800", "\\x00",
]  # fmt: skip
CHARSETS = [
    "utf-8", "UTF_8", "latin-1", "cp1252", "shift_jis", "utf-16", "utf-32", "utf-7", "idna", "punycode",
    "unicode_escape", "raw_unicode_escape", "rot13", "hex", "base64", "zlib", "uu", "no-such-charset",
]  # fmt: skip


def mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """``original`` cut short, or with a random stretch overwritten by random bytes."""
    cut = st.integers(0, len(original)).map(lambda n: original[:n])
    spliced = st.tuples(st.integers(0, len(original)), st.integers(0, 64), st.binary(max_size=32)).map(
        lambda t: original[: t[0]] + t[2] + original[t[0] + t[1] :]
    )
    return st.one_of(cut, spliced)


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def with_document_xml(xml: bytes) -> bytes:
    """The valid Word file with its body replaced."""
    with zipfile.ZipFile(io.BytesIO(VALID_DOCX)) as source:
        members = [(n, xml if n == "word/document.xml" else source.read(n)) for n in source.namelist()]
    return zipped(members)


with zipfile.ZipFile(io.BytesIO(VALID_DOCX)) as _docx:
    DOCUMENT_XML = _docx.read("word/document.xml")

html_text = st.lists(st.one_of(st.sampled_from(HTML_FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join)
html = st.one_of(
    html_text.map(lambda t: t.encode("utf-8")),
    st.tuples(st.sampled_from(CHARSETS), html_text).map(lambda t: f'<meta charset="{t[0]}">{t[1]}'.encode()),
    st.tuples(st.sampled_from(CHARSETS), st.binary(max_size=200)).map(
        lambda t: f"<meta charset={t[0]}>".encode() + t[1]
    ),
)
text = st.one_of(st.text(max_size=400).map(lambda t: t.encode("utf-8")), st.binary(max_size=400))

CONTENT: dict[str, st.SearchStrategy[bytes]] = {
    ".txt": text,
    ".md": text,
    ".html": st.one_of(html, st.binary(max_size=300)),
    ".pdf": st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=600).map(lambda b: b"%PDF-1.4\n" + b),
        mutated(VALID_PDF),
    ),
    ".docx": st.one_of(
        st.binary(max_size=300),
        mutated(VALID_DOCX),
        st.dictionaries(st.sampled_from(DOCX_MEMBERS), st.binary(max_size=200), max_size=4).map(
            lambda members: zipped(list(members.items()))
        ),
        mutated(DOCUMENT_XML).map(with_document_xml),
    ),
}
any_file = st.sampled_from(sorted(CONTENT)).flatmap(lambda suffix: st.tuples(st.just(suffix), CONTENT[suffix]))


def check_loaded(loaded: Loaded) -> None:
    """What ingest relies on in a loaded file: non-blank text that UTF-8 can hold, page spans inside it."""
    assert loaded.text.strip()
    loaded.text.encode("utf-8")
    for page in loaded.pages:
        assert 0 <= page.start < page.end <= len(loaded.text)


def test_loaders_return_text_or_a_load_error_for_any_bytes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-load")
    outcomes = {"loaded": 0, "skipped": 0}

    @FUZZ
    @given(any_file)
    def check(case: tuple[str, bytes]) -> None:
        suffix, data = case
        path = folder / f"case{suffix}"
        path.write_bytes(data)
        try:
            loaded = load(path, MAX_BYTES)
        except LoadError as exc:
            assert str(exc).strip(), "a skip must say why"
            outcomes["skipped"] += 1
            return
        check_loaded(loaded)
        outcomes["loaded"] += 1

    check()
    print(f"loader fuzz: {outcomes}")
    assert sum(outcomes.values()) >= LOADER_EXAMPLES
    assert outcomes["loaded"] and outcomes["skipped"], outcomes


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    """One real store reused by every example: each ingest must also clean up after the one before."""
    root = tmp_path_factory.mktemp("fuzz-ingest")
    return Store(open_chroma(root / "chroma", "fuzz", HashEmbeddings()), root / "keyword.json"), root


def assert_store_consistent(store: Store, texts: Path, names: set[str]) -> None:
    """Markers, records, kept texts and the keyword index describe the same files, and only files of ``names``."""
    assert not store.sources_except(names), "records of files that are gone"
    files = store.files()
    assert len(store.ids({"kind": FILE})) == len(files)
    for source, sha in files.items():
        [marker] = store.chroma.get(where={"$and": [{"kind": FILE}, {"source": source}]})["metadatas"]
        sentences = store.sentences(source)
        assert len(sentences) == marker["sentences"] > 0
        assert len(store.source_ids(source)) == marker["sentences"] + marker["chunks"] + 1
        document = kept_text(texts, sha)
        assert file_sha(document) == sha
        assert all(document[s.start : s.end] == s.text for s in sentences)
    assert set(store.keywords().by_id) == set(store.ids({"kind": SENTENCE}))


def test_ingest_of_random_files_ingests_or_skips_each_and_keeps_the_store_consistent(fuzz_store):
    store, root = fuzz_store
    corpus, texts = root / "corpus", root / "texts"
    corpus.mkdir()
    outcomes = {"examples": 0, "ingested": 0, "skipped": 0}

    @settings(FUZZ, max_examples=INGEST_EXAMPLES)
    @given(st.lists(any_file, min_size=1, max_size=5))
    def check(files: list[tuple[str, bytes]]) -> None:
        for old in corpus.iterdir():
            old.unlink()
        for i, (suffix, data) in enumerate(files):
            # Names recur across examples, so files change, vanish and come back as a real folder's do.
            (corpus / f"f{i}{suffix}").write_bytes(data)
        names = {s.name for s in discover([corpus])}
        before = store.files()

        report = ingest([corpus], store, texts, progress=False, max_bytes=MAX_BYTES)

        skipped = dict(report.skipped)
        assert all(reason.strip() for reason in skipped.values())
        after = store.files()
        for name in names:
            if name in skipped:
                assert after.get(name) == before.get(name), "a skipped file must leave its last version as it was"
            else:
                assert after[name] == file_sha(load(corpus / name).text)
        assert report.files == len(names) - len(skipped)
        assert_store_consistent(store, texts, names)
        outcomes["examples"] += 1
        outcomes["ingested"] += report.files
        outcomes["skipped"] += len(skipped)

    check()
    print(f"ingest fuzz: {outcomes}")
    assert outcomes["examples"] >= INGEST_EXAMPLES
    assert outcomes["ingested"] and outcomes["skipped"], outcomes
