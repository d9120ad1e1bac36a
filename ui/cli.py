"""The ``alliance-qa`` command: ingest, ask, serve."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from rag.errors import DomainError, NotFound
from rag.settings import Settings
from rag.store.chroma import StoreUnavailable


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.sync import ingest
    from rag.service import open_store

    paths = args.paths or [settings.data_dir]
    try:
        store = open_store(settings)
        report = ingest(
            paths, store, settings.texts_dir, progress=sys.stderr.isatty(), max_bytes=settings.max_document_bytes
        )
    except FileNotFoundError as exc:
        print(f"alliance-qa ingest: {exc}", file=sys.stderr)
        return 2
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(report.summary())
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.sync import ingest_default
    from rag.answer import InvalidQuestion
    from rag.answer.compose import unmentioned_note
    from rag.service import load_pipeline, open_store

    store = open_store(settings)
    if not store.files():
        ingest_default(settings, store, progress=False)
    pipeline = load_pipeline(settings, store)
    try:
        answer = pipeline.answer(args.question)
    except InvalidQuestion as exc:
        print(f"alliance-qa ask: {exc}", file=sys.stderr)
        return 2
    if args.json:
        shown = {"answer", "refused", "citations", "unmentioned", "timings_ms"}
        print(json.dumps(answer.model_dump(include=shown), indent=2))
        return 0
    if note := unmentioned_note(answer):
        print(note)
    print(answer.answer)
    for n, c in enumerate(answer.citations, 1):
        page = f" (page {c.page})" if c.page is not None else ""
        print(f"  [{n}] {c.source}:{c.start}-{c.end}{page}  {c.text}")
    for s in answer.suggestions:
        print(f"  (closest passage, not a citation) {s.source}:{s.start}-{s.end}  {s.text}")
    return 0


def _documents(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.documents import add_documents, delete_document, list_documents, read_upload
    from rag.service import open_store

    store = open_store(settings)
    try:
        if args.action == "delete":
            result = delete_document(settings, store, args.id)
            file_note = (
                f"; deleted {settings.uploads_dir / Path(result.deleted.source).name}" if result.file_deleted else ""
            )
            print(f"deleted {result.deleted.source}: {result.removed} records{file_note}")
            return 0
        if args.action == "add":
            files = [(path.name, read_upload(path, settings.max_upload_bytes)) for path in args.files]
            added = add_documents(settings, store, files)
            for item in added.rejected:
                print(f"not added {item.name}: {item.reason}", file=sys.stderr)
            for item in added.ingest.skipped:
                print(f"skipped {item.name}: {item.reason}", file=sys.stderr)
            print(f"added {', '.join(added.saved)}")
            print(added.ingest.summary)
            return 0
    except DomainError as exc:
        print(f"alliance-qa documents: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"alliance-qa documents: {exc}", file=sys.stderr)
        return 2
    documents = list_documents(settings, store)
    if args.json:
        print(json.dumps([d.model_dump() for d in documents], indent=2))
        return 0
    if not documents:
        print("no documents ingested: run `alliance-qa ingest` or `alliance-qa documents add FILE`")
        return 0
    print(f"{'ID':16}  {'SENTENCES':>9}  {'CHUNKS':>6}  {'CHARS':>8}  SOURCE")
    for d in documents:
        uploaded = "  (uploaded)" if d.uploaded else ""
        print(f"{d.id:16}  {d.sentences:>9}  {d.chunks:>6}  {d.chars:>8}  {d.source}{uploaded}")
    return 0


def _collections(args: argparse.Namespace, settings: Settings) -> int:
    from rag.library import Library

    library = Library(settings)
    if args.action == "create":
        info = library.create(args.name)
        print(f"created the collection {info.name}: add documents with `alliance-qa documents -c {info.name} add FILE`")
        return 0
    for name in library.names():
        info = library.info(name)
        print(f"{info.name}{' (default)' if info.default else ''}: {info.documents} documents, folder {info.folder}")
    return 0


def for_collection(settings: Settings, name: str | None) -> Settings:
    """The settings of the named collection (``NotFound`` if there is none), or the default's."""
    from rag.library import Library

    if not name:
        return settings
    library = Library(settings)
    if name not in library.names():
        raise NotFound(f"no collection named {name!r}; `alliance-qa collections` lists them")
    return library.settings_for(name)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from ingest.sync import ingest_all
    from rag.service import load_library
    from ui.chat.app import build_ui
    from ui.http.access import bind_warning
    from ui.http.app import create_app

    host, port = args.host or settings.host, args.port or settings.port
    library = load_library(settings)
    if not args.no_ingest:
        for line in ingest_all(library, progress=sys.stderr.isatty()):
            print(line, flush=True)
    library.warm_in_background()
    app = create_app(library, ui=build_ui(library))
    print(f"alliance-qa: chat and API on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)", flush=True)
    if warning := bind_warning(host, port, settings):
        print(warning, file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="alliance-qa", description="Cited answers about your documents.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="sync the store with .txt/.md/.pdf/.html/.docx files (default: data folder)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders; a folder's files are named relative to it")
    p.set_defaults(run=_ingest)
    p = sub.add_parser("ask", help="answer one question with numbered sources")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the /api/answer JSON instead")
    p.set_defaults(run=_ask)
    p = sub.add_parser("documents", help="list the ingested documents; add or delete your own")
    p.add_argument("--json", action="store_true", help="print the /api/documents JSON instead")
    p.set_defaults(run=_documents)
    actions = p.add_subparsers(dest="action")
    d = actions.add_parser("list", help="list the ingested documents (the default)")
    d.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the /api/documents JSON")
    d = actions.add_parser("add", help="copy files into the uploads folder of the corpus and ingest them")
    d.add_argument("files", nargs="+", type=Path, help=".txt, .md, .pdf, .html, .htm or .docx files")
    d = actions.add_parser("delete", help="remove a document by id (an upload's file is deleted too)")
    d.add_argument("id", help="the document id, as listed by `alliance-qa documents`")
    p = sub.add_parser("collections", help="list the collections; create one")
    p.set_defaults(run=_collections, action="list")
    actions = p.add_subparsers(dest="action")
    actions.add_parser("list", help="list the collections with their document counts (the default)")
    c = actions.add_parser("create", help="create an empty collection (add documents with documents -c NAME add)")
    c.add_argument("name", help="3 to 63 characters: a-z, 0-9, '-' and '_'")
    for name in ("ingest", "ask", "documents"):
        sub.choices[name].add_argument(
            "-c", "--collection", help="the collection to use (default: the default collection)"
        )
    p = sub.add_parser("serve", help="serve the chat at / and the API at /api")
    p.add_argument("--host", help="address to bind (default from settings: 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default from settings: 7860)")
    p.add_argument(
        "--no-ingest",
        action="store_true",
        help="serve the store as it is (e.g. a worker beside a shared Chroma server)",
    )
    p.set_defaults(run=_serve)
    # eval and bench parse their own options; these entries only list them in --help.
    sub.add_parser(
        "eval", help="score configurations on every corpus's gold set (alliance-qa eval --help)", add_help=False
    )
    sub.add_parser("bench", help="benchmarks with side-by-side ratios (alliance-qa bench --help)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the models ship in packages; never reach for a hub
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:
        from eval.runner import main as run_eval

        return run_eval(argv[1:], Settings())
    if argv[:1] == ["bench"]:
        from eval.bench import main as run_bench

        return run_bench(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args, for_collection(Settings(), getattr(args, "collection", None)))
    except (StoreUnavailable, *DomainError) as exc:
        print(f"alliance-qa: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
