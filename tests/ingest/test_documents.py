"""Your own documents: PDF, HTML and Word loaders, page numbers in citations, and upload/list/delete through the
shared functions, the HTTP API, the UI handlers and the CLI. Hash embeddings and a real Chroma store keep it fast."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient

from ingest.documents import add_documents, delete_document, list_documents, sanitise_name
from ingest.loaders import SUFFIXES, LoadError, PageSpan, discover, load, page_at
from ingest.sync import ingest, ingest_default
from rag.answer import Pipeline
from rag.errors import InvalidRequest, NotFound
from rag.service import open_store
from rag.settings import Settings
from rag.store.chroma import SENTENCE, Store, document_id, open_chroma
from rag.store.embeddings import HashEmbeddings
from rag.store.texts import kept_text
from tests.samples import PAGE_ONE, PAGE_TWO, make_docx, make_pdf
from ui.chat.app import build_ui
from ui.chat.handlers import delete_chosen_document, upload_documents
from ui.chat.render import render_sources
from ui.http.app import create_app

HTML = """<!doctype html><html><head><title>Not shown</title><style>p { color: red }</style>
<script>var hidden = "script text";</script></head>
<body><h1>Harbour&nbsp;notes</h1><p>Nagoya ships   cars
abroad.<br>Kobe ships beef.</p><div>Sendai grows rice &amp; soy.<noscript>no script</noscript></div>
<ul><li>Fukuoka faces Korea.</li><li>Sapporo hosts snow festivals.</li></ul></body></html>"""


@pytest.fixture
def pdf_bytes() -> bytes:
    return make_pdf([PAGE_ONE, PAGE_TWO])


@pytest.fixture
def corpus(tmp_path: Path, pdf_bytes: bytes) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(pdf_bytes)
    (folder / "letter.docx").write_bytes(make_docx(["Hiroshima rebuilt its harbour.", "Nara keeps its deer."]))
    (folder / "page.html").write_text(HTML, encoding="utf-8")
    (folder / "notes.txt").write_text("Yokohama has a large port.", encoding="utf-8")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_chroma(tmp_path / "chroma", "test-documents", HashEmbeddings()), tmp_path / "kw.json")


# --- loaders -----------------------------------------------------------------------------------------------------


def test_the_test_pdf_is_valid_and_pypdf_extracts_its_text(pdf_bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == 2
    assert [line.strip() for line in reader.pages[1].extract_text().splitlines()] == PAGE_TWO


def test_pdf_lines_that_fill_the_width_flow_into_one_paragraph_across_pages_with_a_span_per_page(corpus):
    loaded = load(corpus / "report.pdf")
    assert loaded.text == " ".join(PAGE_ONE + PAGE_TWO)  # the last line of page one is full: the text goes on
    assert [p.page for p in loaded.pages] == [1, 2]
    assert [loaded.text[p.start : p.end] for p in loaded.pages] == [" ".join(PAGE_ONE), " ".join(PAGE_TWO)]
    assert loaded.page_at(0) == 1 and loaded.page_at(loaded.pages[1].start) == 2
    assert page_at([], 5) is None and page_at([PageSpan(3, 0, 4)], 10) == 3


def test_html_gives_visible_text_as_blocks_under_its_headings(corpus):
    loaded = load(corpus / "page.html")
    text = loaded.text
    assert text == (
        "# Harbour notes\n\nNagoya ships cars abroad. Kobe ships beef.\n\nSendai grows rice & soy.\n\n"
        "- Fukuoka faces Korea.\n\n- Sapporo hosts snow festivals."
    )
    assert [(b.kind, text[b.start : b.end], b.section) for b in loaded.blocks] == [
        ("heading", "Harbour notes", ("Harbour notes",)),
        ("text", "Nagoya ships cars abroad. Kobe ships beef.", ("Harbour notes",)),
        ("text", "Sendai grows rice & soy.", ("Harbour notes",)),
        ("item", "Fukuoka faces Korea.", ("Harbour notes",)),
        ("item", "Sapporo hosts snow festivals.", ("Harbour notes",)),
    ]
    for hidden in ("Not shown", "color", "script text", "no script"):
        assert hidden not in text


def test_docx_paragraphs_are_separated_by_a_blank_line(corpus):
    assert load(corpus / "letter.docx").text == "Hiroshima rebuilt its harbour.\n\nNara keeps its deer."


def test_discover_accepts_every_loader_suffix_and_skips_hidden_files(tmp_path):
    for name in ("a.txt", "b.md", "c.pdf", "d.html", "e.htm", "f.DOCX", "g.exe", ".hidden.pdf"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "h.pdf").write_bytes(b"x")
    assert sorted(s.name for s in discover([tmp_path])) == ["a.txt", "b.md", "c.pdf", "d.html", "e.htm", "f.DOCX"]
    assert set(SUFFIXES) == {".txt", ".md", ".pdf", ".html", ".htm", ".docx"}


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("truncated.pdf", make_pdf([PAGE_ONE, PAGE_TWO])[:400], "broken or truncated PDF"),
        ("fake.pdf", b"just some words", "not a PDF"),
        ("image.pdf", make_pdf([[]]), "no extractable text"),
        ("notzip.docx", b"PK but not really a zip archive", "not a valid .docx"),
        ("junk.txt", bytes(range(256)) * 4, "binary"),
        ("latin1.html", "<p>Caf\xe9</p>".encode("latin-1"), "UTF-8"),
        ("blank.html", b"<html><script>x()</script></html>", "no text"),
        ("empty.docx", b"", "empty"),
    ],
)
def test_broken_files_raise_a_load_error_that_says_why(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load(tmp_path / name)


def test_a_manual_page_saved_from_a_terminal_reads_as_the_terminal_shows_it(tmp_path):
    # "man man-db > manual.txt" keeps the pager's escape codes and overstruck characters: bold, underline, bullets.
    page = "\x1b[1mman-db\x1b[0m  is a \x1b[4mpager\x1b[24m suite.\n"
    page += " +\x08o b\x08bo\x08ol\x08ld and _\x08u_\x08nd\x08_e\x08_r\n"
    (tmp_path / "manual.txt").write_bytes((page * 40).encode())
    text = load(tmp_path / "manual.txt").text
    assert text.startswith("man-db  is a pager suite.\n • bold and under\n")
    assert "\x1b" not in text and "\x08" not in text


def test_words_a_typesetter_split_at_line_ends_are_read_whole_where_the_document_attests_them(tmp_path):
    page = (
        "The database records the loca-\n"
        "tion of each page.  Every man-\n"
        "db program reads it, and the es-\n"
        "    pecially careful reader too.\n"
        "A location is kept per page; man-db is the suite.\n"
        "Pages list in a well-\n"
        "kept order.\n"
    )
    (tmp_path / "manual.txt").write_text(page)
    text = load(tmp_path / "manual.txt").text
    assert text.split("\n")[:4] == [
        "The database records the location",
        "of each page.  Every man-db",
        "program reads it, and the es-",  # "especially" is written nowhere whole: the split stays
        "    pecially careful reader too.",
    ]
    assert "well-\nkept order." in text  # a dash the document never writes either way is left


# --- ingest and page numbers -------------------------------------------------------------------------------------


def test_pdf_sentences_carry_their_page_and_offsets_slice_the_kept_text(corpus, store, tmp_path):
    report = ingest([corpus], store, tmp_path / "texts", progress=False)
    assert report.skipped == [] and report.files == 4
    pages = {s.text: s.page for s in store.sentences("report.pdf")}
    assert pages == {**dict.fromkeys(PAGE_ONE, 1), **dict.fromkeys(PAGE_TWO, 2)}
    assert all(s.page is None for s in store.sentences() if s.source != "report.pdf")
    assert {s.text: s.page for s in store.keywords().sentences if s.source == "report.pdf"} == pages
    for source, sha in store.files().items():
        text = kept_text(tmp_path / "texts", sha)
        for sentence in store.sentences(source):
            assert text[sentence.start : sentence.end] == sentence.text
    hit = store.search(HashEmbeddings().embed_query(PAGE_TWO[0]), 1)[0]
    assert hit.sentence.text == PAGE_TWO[0] and hit.sentence.page == 2


def test_citations_carry_the_page_and_slice_the_kept_text_exactly(corpus, tmp_path):
    settings = Settings(data_dir=corpus, state_dir=tmp_path / "state", refusal_threshold=-1.0)
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    answer = Pipeline(store, None, settings).answer("Which merchants appear on the second page?")
    assert not answer.refused and answer.citations
    first = answer.citations[0]
    assert (first.source, first.text, first.page) == ("report.pdf", PAGE_TWO[0], 2)
    for citation in answer.citations:
        document = Pipeline(store, None, settings).document(citation.source)
        assert document[citation.start : citation.end] == citation.text
    assert "report.pdf · page 2 · characters" in render_sources(answer)


def test_broken_files_are_skipped_by_name_and_the_rest_ingested(corpus, store, tmp_path, pdf_bytes):
    (corpus / "truncated.pdf").write_bytes(pdf_bytes[: len(pdf_bytes) // 2])
    (corpus / "notzip.docx").write_bytes(b"this is not a zip file")
    (corpus / "junk.txt").write_bytes(bytes(range(256)) * 8)
    report = ingest([corpus], store, tmp_path / "texts", progress=False)
    skipped = dict(report.skipped)
    assert set(skipped) == {"truncated.pdf", "notzip.docx", "junk.txt"}
    assert "PDF" in skipped["truncated.pdf"] and "docx" in skipped["notzip.docx"] and "binary" in skipped["junk.txt"]
    assert set(store.files()) == {"report.pdf", "letter.docx", "page.html", "notes.txt"}


def test_store_lists_documents_with_stable_ids_and_counts(corpus, store, tmp_path):
    ingest([corpus], store, tmp_path / "texts", progress=False)
    documents = {d["source"]: d for d in store.documents()}
    assert list(documents) == sorted(documents)
    report = documents["report.pdf"]
    assert report == {
        "id": document_id("report.pdf"),
        "source": "report.pdf",
        "sentences": 4,
        "chunks": report["chunks"],
        "chars": len(load(corpus / "report.pdf").text),
    }
    (corpus / "notes.txt").write_text("Yokohama has a larger port now.", encoding="utf-8")
    ingest([corpus], store, tmp_path / "texts", progress=False)
    assert {d["source"]: d["id"] for d in store.documents()}["notes.txt"] == documents["notes.txt"]["id"]


# --- names and limits --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,safe",
    [
        ("../evil.txt", "evil.txt"),
        ("a/b.txt", "b.txt"),
        ("..\\..\\windows.md", "windows.md"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("Résumé 2024 (final).PDF", "R_sum_ 2024 _final_.PDF"),
        ("report.docx", "report.docx"),
    ],
)
def test_names_are_reduced_to_a_safe_base_name(name, safe):
    assert sanitise_name(name) == safe


@pytest.mark.parametrize(
    "name,message",
    [
        (".hidden.md", "hidden"),
        ("a/.hidden.md", "hidden"),
        ("..", "empty"),
        ("", "empty"),
        ("/", "empty"),
        ("x" * 121 + ".txt", "characters long"),
        ("program.exe", "unsupported file type"),
        ("noext", "unsupported file type"),
    ],
)
def test_unsafe_names_are_rejected_saying_what_is_allowed(name, message):
    with pytest.raises(InvalidRequest, match=message):
        sanitise_name(name)


# --- the HTTP API ------------------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "essay.txt").write_text("The alliance rests on shared concerns about security.", encoding="utf-8")
    return Settings(
        data_dir=data,
        state_dir=tmp_path / "state",
        refusal_threshold=-1.0,
        max_upload_bytes=64 * 1024,
        max_upload_files=3,
    )


@pytest.fixture
def pipeline(settings: Settings) -> Pipeline:
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    return Pipeline(store, None, settings)


@pytest.fixture
def client(pipeline: Pipeline) -> TestClient:
    return TestClient(create_app(pipeline))


def upload(client: TestClient, *files: tuple[str, bytes]):
    return client.post("/api/documents", files=[("files", (name, data)) for name, data in files])


def test_upload_list_answer_delete_round_trip(client, pipeline, settings, pdf_bytes):
    response = upload(client, ("report.pdf", pdf_bytes), ("letter.docx", make_docx(["Nara keeps its deer."])))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["saved"] == ["uploads/report.pdf", "uploads/letter.docx"] and body["rejected"] == []
    assert body["ingest"]["files"] == 3 and body["ingest"]["skipped"] == []
    assert (settings.uploads_dir / "report.pdf").read_bytes() == pdf_bytes

    listed = client.get("/api/documents").json()
    assert listed == body["documents"]
    by_source = {d["source"]: d for d in listed}
    assert set(by_source) == {"essay.txt", "uploads/report.pdf", "uploads/letter.docx"}
    assert by_source["uploads/report.pdf"]["uploaded"] and not by_source["essay.txt"]["uploaded"]
    assert set(by_source["uploads/report.pdf"]) == {"id", "source", "sentences", "chunks", "chars", "uploaded"}

    answer = client.post("/api/answer", json={"question": "Which merchants appear on the second page?"}).json()
    assert answer["citations"][0]["source"] == "uploads/report.pdf" and answer["citations"][0]["page"] == 2
    kept = pipeline.document("uploads/report.pdf")
    assert all(kept[c["start"] : c["end"]] == c["text"] for c in answer["citations"] if c["source"].endswith("pdf"))

    doc_id = by_source["uploads/report.pdf"]["id"]
    deleted = client.delete(f"/api/documents/{doc_id}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["file_deleted"] is True and deleted.json()["removed"] > 0
    assert not (settings.uploads_dir / "report.pdf").exists()
    assert "uploads/report.pdf" not in pipeline.store.files()
    assert not any(s.source == "uploads/report.pdf" for s in pipeline.store.sentences())
    assert not any(s.source == "uploads/report.pdf" for s in pipeline.store.keywords().sentences)
    assert set(pipeline.store.keywords().by_id) == set(pipeline.store.ids({"kind": SENTENCE}))
    assert doc_id not in {d["id"] for d in client.get("/api/documents").json()}
    again = client.post("/api/answer", json={"question": "Which merchants appear on the second page?"}).json()
    assert all(c["source"] != "uploads/report.pdf" for c in again["citations"])
    ingest_default(settings, pipeline.store, progress=False)  # the next ingest does not bring it back
    assert "uploads/report.pdf" not in pipeline.store.files()


def test_path_traversal_names_stay_in_the_uploads_folder(client, settings, tmp_path):
    response = upload(client, ("../evil.txt", b"Evil plans are written here."), ("a/b.txt", b"Bees make honey."))
    assert response.status_code == 200, response.text
    assert response.json()["saved"] == ["uploads/evil.txt", "uploads/b.txt"]
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["b.txt", "evil.txt"]
    assert not (tmp_path / "evil.txt").exists() and not (settings.data_dir / "evil.txt").exists()
    hidden = upload(client, (".hidden.md", b"# Hidden"))
    assert (
        hidden.status_code == 422 and "hidden" in hidden.json()["error"] and "must not start" in hidden.json()["error"]
    )


@pytest.mark.parametrize(
    "files,status,message",
    [
        ([("a.txt", b"One."), ("b.txt", b"Two."), ("c.txt", b"Three."), ("d.txt", b"Four.")], 413, "too many files"),
        ([("big.txt", b"word " * 20000)], 413, "larger than the limit of 65536 bytes (64 KB)"),
        ([("tool.exe", b"MZ")], 422, "unsupported file type '.exe'"),
        ([("a.txt", b"One."), ("A.TXT", b"Two.")], 422, "two files are named"),
        ([("broken.pdf", b"%PDF-1.4 truncated")], 422, "no document could be read"),
        ([("title.md", b"# Only a title\n")], 422, "no sentence to cite"),
    ],
)
def test_bad_uploads_get_a_json_4xx_saying_what_is_allowed(client, settings, files, status, message):
    response = upload(client, *files)
    assert response.status_code == status, response.text
    body = response.json()
    assert message in body["error"] and body["request_id"] == response.headers["X-Request-ID"]
    assert not settings.uploads_dir.exists() or not any(settings.uploads_dir.iterdir())


def test_upload_needs_multipart_files(client):
    assert client.post("/api/documents", json={"files": []}).status_code == 422
    response = client.post("/api/documents", files=[("file", ("a.txt", b"Wrong field."))])
    assert response.status_code == 422 and "'files'" in response.json()["error"]
    response = client.post("/api/documents", data={"files": "text, not a file"}, files=[("x", ("a.txt", b"."))])
    assert response.status_code == 422 and "'files'" in response.json()["error"]


def test_a_broken_upload_is_rejected_by_name_while_the_others_are_added(client, settings, pdf_bytes):
    response = upload(client, ("good.pdf", pdf_bytes), ("bad.docx", b"not a zip"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["saved"] == ["uploads/good.pdf"]
    assert [r["name"] for r in body["rejected"]] == ["bad.docx"] and "docx" in body["rejected"][0]["reason"]
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["good.pdf"]


def test_unknown_document_id_is_a_404(client):
    response = client.delete("/api/documents/0123456789abcdef")
    assert response.status_code == 404
    assert "no document with id" in response.json()["error"] and response.json()["request_id"]


def test_a_corpus_file_is_not_deleted_but_explained_with_a_409(client, pipeline):
    response = client.delete(f"/api/documents/{document_id('essay.txt')}")
    assert response.status_code == 409
    assert "not an upload" in response.json()["error"] and "essay.txt" in pipeline.store.files()


def test_openapi_describes_the_documents_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/documents"]) and "delete" in paths["/api/documents/{document_id}"]
    assert "multipart/form-data" in paths["/api/documents"]["post"]["requestBody"]["content"]


# --- the shared functions, the UI handlers and the CLI -----------------------------------------------------------


def test_shared_functions_add_and_delete(pipeline, settings):
    result = add_documents(settings, pipeline.store, [("page.html", HTML.encode())])
    assert result.saved == ["uploads/page.html"]
    (listed,) = [d for d in list_documents(settings, pipeline.store) if d.uploaded]
    assert delete_document(settings, pipeline.store, listed.id).deleted == listed
    with pytest.raises(NotFound):
        delete_document(settings, pipeline.store, listed.id)


def test_ui_adds_and_deletes_with_the_same_functions(pipeline, settings, tmp_path, pdf_bytes):
    assets = tmp_path / "gradio-cache"
    assets.mkdir()
    (assets / "report.pdf").write_bytes(pdf_bytes)
    note, dropdown, picker = upload_documents(pipeline, [str(assets / "report.pdf")])
    assert "Added uploads/report.pdf" in note and picker is None
    choices = dict((value, label) for label, value in dropdown.constructor_args["choices"])
    doc_id = document_id("uploads/report.pdf")
    assert "uploads/report.pdf" in choices[doc_id] and "uploaded" in choices[doc_id]
    note, dropdown = delete_chosen_document(pipeline, doc_id)
    assert "Deleted uploads/report.pdf and its uploaded file" in note
    assert doc_id not in {value for _, value in dropdown.constructor_args["choices"]}
    note, _ = delete_chosen_document(pipeline, doc_id)
    assert "no document with id" in note
    (assets / "bad.exe").write_bytes(b"MZ")
    note, _, _ = upload_documents(pipeline, [str(assets / "bad.exe")])
    assert "unsupported file type" in note
    assert "Choose" in upload_documents(pipeline, [])[0]
    assert build_ui(pipeline) is not None


def test_cli_lists_and_deletes_documents(settings, pipeline, monkeypatch, capsys):
    from rag.store import chroma
    from ui import cli

    add_documents(settings, pipeline.store, [("notes.md", b"# Notes\n\nOkinawa hosts bases.")])
    monkeypatch.setattr(chroma, "load_embeddings", lambda *args, **kwargs: HashEmbeddings())
    monkeypatch.setenv("ALLIANCE_QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ALLIANCE_QA_STATE_DIR", str(settings.state_dir))
    assert cli.main(["documents"]) == 0
    out = capsys.readouterr().out
    doc_id = document_id("uploads/notes.md")
    assert doc_id in out and "uploads/notes.md" in out and "essay.txt" in out
    assert cli.main(["documents", "--json"]) == 0
    assert {d["source"] for d in json.loads(capsys.readouterr().out)} == {"essay.txt", "uploads/notes.md"}
    assert cli.main(["documents", "delete", doc_id]) == 0
    assert "deleted uploads/notes.md" in capsys.readouterr().out
    assert cli.main(["documents", "delete", doc_id]) == 2
    assert "no document with id" in capsys.readouterr().err
    assert not (settings.uploads_dir / "notes.md").exists()
