"""The chat in a real browser: Debian's Chromium (headless, via Playwright) against the real server and models.

Skipped only when /usr/bin/chromium is missing (``make test`` installs it). A screenshot of the conversation is
saved to test-artifacts/chat.png.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.text.sentences import split_sentences
from tests.samples import ROOT, essay_text
from tests.servers import alliance_server

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: `make browser` (part of `make test`) installs it", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ANSWER_TIMEOUT_MS = 120_000  # the machine may be busy with other work: be patient with the real model
DRAFT_MARK = "✎ draft"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`alliance-qa serve` with the real models on a free port: (its URL, its state folder)."""
    state = tmp_path_factory.mktemp("browser-state")
    with alliance_server(state) as url:
        yield url, state


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_chat(browser: Browser, url: str, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    # not "networkidle": the Gradio page keeps a connection open
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea")
    return page


def ask(page: Page, question: str, *, press_enter: bool = True) -> None:
    box = page.locator("#qa-question textarea")
    box.fill(question)
    if press_enter:
        box.press("Enter")
    else:
        page.locator("#qa-ask").click()


def wait_for_answer(page: Page, n: int, expected: str) -> str:
    """The text of the n-th assistant bubble once it is final: contains ``expected`` and no draft marker."""
    page.wait_for_function(
        """([n, expected, draft]) => {
            const bots = document.querySelectorAll('#qa-chat .message.bot');
            if (bots.length < n) return false;
            const text = bots[n - 1].innerText;
            return text.includes(expected) && !text.includes(draft);
        }""",
        arg=[n, expected, DRAFT_MARK],
        timeout=ANSWER_TIMEOUT_MS,
    )
    return page.locator("#qa-chat .message.bot").nth(n - 1).inner_text()


def watch_for_drafts(page: Page) -> None:
    """Remember (in window.__qaSawDraft) whether a draft bubble was ever shown."""
    page.evaluate(
        """() => {
            window.__qaSawDraft = false;
            const chat = document.getElementById('qa-chat');
            new MutationObserver(() => {
                if (chat.innerText.includes('✎ draft')) window.__qaSawDraft = true;
            }).observe(chat, {childList: true, subtree: true, characterData: true});
        }"""
    )


def essay_sentences() -> set[str]:
    text = essay_text()
    return {text[s.start : s.end] for s in split_sentences(text)}


def test_conversation_streams_cites_highlights_follows_up_and_refuses(browser, server):
    url, state = server
    began = time.monotonic()
    page = open_chat(browser, url, 1280, 900)
    try:
        # (a) a question about the essay: streamed draft, then the final answer with [n] markers and sources
        watch_for_drafts(page)
        ask(page, "Why does the Japan-US alliance persist?")
        first = wait_for_answer(page, 1, "[1]")
        assert page.evaluate("window.__qaSawDraft"), "no draft bubble was shown while the model wrote"
        assert page.locator("#qa-sources ol.qa-sources li").count() >= 1
        expect(page.locator("#qa-sources")).to_contain_text("support")
        marks = page.locator("#qa-source-view mark.qa-cite")
        assert marks.count() >= 1
        sentences = essay_sentences()
        highlighted = marks.all_text_contents()
        assert all(text in sentences for text in highlighted), highlighted
        cited = [t.strip().strip("“”") for t in page.locator("#qa-sources ol.qa-sources li").all_inner_texts()]
        assert all(any(text in item for item in cited) for text in highlighted)

        # clicking a marker in the sources list scrolls to its sentence and emphasises it
        page.locator('#qa-sources a.qa-cite-link[data-cite="1"]').click()
        expect(page.locator("#cite-1")).to_have_class("qa-cite qa-active")
        expect(page.locator("#cite-1")).to_be_in_viewport()
        # the markers in the latest answer are links too
        assert page.locator("#qa-chat .message.bot a.qa-cite-link").count() >= 1

        # thumbs up on the answer is appended to the feedback file in the server's state folder
        page.locator("#qa-chat .message.bot").first.hover()
        page.locator('#qa-chat button[aria-label="Like"]').first.click()
        expect(page.locator("#qa-feedback")).to_contain_text("helpful")
        records = [json.loads(line) for line in (state / "feedback.jsonl").read_text().splitlines()]
        assert records[-1]["rating"] == "up" and records[-1]["question"] == "Why does the Japan-US alliance persist?"
        assert records[-1]["answer"].split()[:3] == first.split()[:3]

        # (d) the screenshot for the README: the headline question, its answer, sources and source view
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

        # (b) a follow-up, sent with the Ask button, is answered with citations too
        ask(page, "What hurdles does it face?", press_enter=False)
        wait_for_answer(page, 2, "[1]")
        assert page.locator("#qa-source-view mark.qa-cite").count() >= 1

        # (c) a new chat starts empty; a question the essay does not cover is refused
        page.locator("#qa-new-chat").click()
        expect(page.locator("#qa-chat .message")).to_have_count(0)
        expect(page.locator("#qa-source-view mark")).to_have_count(0)
        ask(page, "What is the population of Tokyo?")
        refusal = wait_for_answer(page, 1, "doesn't cover")
        assert "[1]" not in refusal
        expect(page.locator("#qa-sources")).to_contain_text("not citations")
        expect(page.locator("#qa-source-view mark")).to_have_count(0)
    finally:
        page.close()
    print(f"conversation took {time.monotonic() - began:.1f} s")


def test_phone_width_has_no_horizontal_scroll_and_a_visible_input(browser, server):
    url, _ = server
    page = open_chat(browser, url, 390, 844)
    try:
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"page scrolls sideways at phone width: {widths}"
        box = page.locator("#qa-question textarea")
        expect(box).to_be_visible()
        bounds = box.bounding_box()
        assert bounds is not None and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390
        # the chat column and the sources column are stacked, not squeezed side by side
        chat, sources = page.locator("#qa-chat").bounding_box(), page.locator("#qa-sources").bounding_box()
        assert sources["y"] >= chat["y"] + chat["height"]
    finally:
        page.close()


def test_a_collection_chosen_in_the_menu_answers_from_its_own_documents(browser, server):
    import httpx

    url, _ = server
    created = httpx.post(f"{url}/api/collections", json={"name": "city-notes"}, timeout=60)
    assert created.status_code == 201, created.text
    notes = b"Okinawa hosts most of the bases. Kyoto keeps the old temples and gardens."
    added = httpx.post(
        f"{url}/api/documents?collection=city-notes", files=[("files", ("cities.txt", notes))], timeout=120
    )
    assert added.status_code == 200, added.text
    page = open_chat(browser, url, 1280, 900)
    try:
        page.locator("#qa-collection input").click()
        page.get_by_role("option", name="city-notes").click()
        expect(page.locator("#qa-collection input")).to_have_value("city-notes")
        # the page speaks of the chosen collection: its name as the title, no essay examples
        expect(page.locator("#qa-heading")).to_contain_text("city-notes")
        expect(page.locator("#qa-heading")).not_to_contain_text("Japan")
        expect(page.locator("#qa-examples")).to_be_hidden()
        ask(page, "Which city keeps the old temples?")
        answer = wait_for_answer(page, 1, "[1]")
        assert "Kyoto" in answer
        expect(page.locator("#qa-sources")).to_contain_text("uploads/cities.txt")
        expect(page.locator("#qa-sources")).not_to_contain_text("japan_us_alliance.txt")
    finally:
        page.close()
