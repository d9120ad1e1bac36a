"""The real server: `alliance-qa serve` on a free port, called over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.samples import essay_text
from tests.servers import alliance_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with alliance_server(tmp_path_factory.mktemp("server-state")) as url:
        yield url


def test_answer_over_http_cites_exact_offsets(server):
    response = httpx.post(
        f"{server}/api/answer", json={"question": "Why does the Japan-US alliance persist?"}, timeout=300
    )
    assert response.status_code == 200
    body = response.json()
    essay = essay_text()
    assert not body["refused"] and body["citations"]
    assert all(essay[c["start"] : c["end"]] == c["text"] for c in body["citations"])


def test_refusal_and_bad_input_over_http(server):
    refused = httpx.post(f"{server}/api/answer", json={"question": "What is the population of Tokyo?"}, timeout=300)
    assert refused.json()["refused"] is True
    blank = httpx.post(f"{server}/api/answer", json={"question": "  "}, timeout=120)
    assert blank.status_code == 422 and "empty" in blank.json()["error"]
    broken = httpx.post(f"{server}/api/answer", content=b"{oops", headers={"content-type": "application/json"})
    assert broken.status_code == 400


def test_chat_ui_is_served_at_root(server):
    page = httpx.get(f"{server}/", timeout=120)
    assert page.status_code == 200 and "alliance-qa" in page.text


def test_gradio_client_gets_the_same_answer_json(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    assert "/answer" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    body = client.predict("Why does the Japan-US alliance persist?", "", api_name="/answer")
    essay = essay_text()
    assert not body["refused"] and body["citations"]
    assert all(essay[c["start"] : c["end"]] == c["text"] for c in body["citations"])
    refused = client.predict("What is the population of Tokyo?", api_name="/answer")
    assert refused["refused"] is True and refused["citations"] == []
