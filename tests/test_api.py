"""The HTTP contract of /api/answer and /api/health, and every kind of bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rag.api import create_app
from tests.conftest import essay_text

DOMAINS = "Cybersecurity, space exploration, and AI are new domains"


@pytest.fixture
def client(pipeline) -> TestClient:
    return TestClient(create_app(pipeline))


def test_answer_contract(client, scripted):
    scripted.enqueue(
        "Cybersecurity, space exploration, and AI are new domains where Japan and the US are collaborating closely, "
        "preparing for future challenges that transcend traditional military concerns. [2]"
    )
    response = client.post("/api/answer", json={"question": "Which new domains do Japan and the US collaborate in?"})
    assert response.status_code == 200
    body = response.json()
    assert {"answer", "refused", "citations", "timings_ms"} <= set(body)
    assert body["refused"] is False and "[1]" in body["answer"]
    assert set(body["timings_ms"]) >= {"retrieve", "generate", "total"}
    essay = essay_text()
    for citation in body["citations"]:
        assert set(citation) >= {"id", "source", "text", "start", "end", "score"}
        assert citation["source"] == "japan_us_alliance.txt"
        assert essay[citation["start"] : citation["end"]] == citation["text"]
    assert body["citations"][0]["text"].startswith(DOMAINS)


def test_history_is_accepted(client, scripted):
    scripted.enqueue("NOT IN DOCUMENT")
    history = [
        {"role": "user", "content": "Why does the Japan-US alliance persist?"},
        {"role": "assistant", "content": "Shared concerns over China."},
    ]
    response = client.post("/api/answer", json={"question": "What hurdles does it face?", "history": history})
    assert response.status_code == 200 and response.json()["citations"]


def test_unanswerable_is_refused_with_no_citations(client, scripted):
    body = client.post("/api/answer", json={"question": "What is the population of Tokyo?"}).json()
    assert body["refused"] is True and body["citations"] == []
    assert scripted.calls == []


@pytest.mark.parametrize(
    "payload,status,message",
    [
        ({"question": ""}, 422, "question is empty"),
        ({"question": "  \n\t "}, 422, "question is empty"),
        ({"question": "x" * 2001}, 422, "too long"),
        ({}, 422, "question is required"),
        ({"question": 42}, 422, "question"),
        ({"question": ["a"]}, 422, "question"),
        ({"question": "ok?", "history": "nope"}, 422, "history"),
        ({"question": "ok?", "history": [{"role": "system", "content": "x"}]}, 422, "role"),
        ({"question": "ok?", "extra": 1}, 422, "not a known field"),
    ],
)
def test_bad_input_gets_a_4xx_that_says_what_is_wrong(client, payload, status, message):
    response = client.post("/api/answer", json=payload)
    assert response.status_code == status
    assert message in response.json()["error"]


@pytest.mark.parametrize("raw", ['{"question": ', "not json", "[1, 2", '{"question": "a"}}'])
def test_malformed_json_is_a_400(client, raw):
    response = client.post("/api/answer", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]


def test_health_and_openapi(client):
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["documents"] == 1
    spec = client.get("/openapi.json").json()
    assert "/api/answer" in spec["paths"]
    assert client.get("/docs").status_code == 200
