"""The HTTP contract of /api/answer and /api/health, and every kind of bad input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.samples import essay_text
from ui.http.app import create_app

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
    body = client.post("/api/answer", json={"question": "Zebras yodel quasars?"}).json()
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


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_tokens_then_the_same_final_json(client, scripted):
    reply = (
        "Cybersecurity, space exploration, and AI are new domains where Japan and the US are collaborating closely, "
        "preparing for future challenges that transcend traditional military concerns. [1]"
    )
    scripted.enqueue(reply, reply)
    question = {"question": "Which new domains do Japan and the US collaborate in?"}
    response = client.post("/api/answer/stream", json=question)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "final" and set(kinds[:-1]) == {"token"}
    assert "".join(d["text"] for e, d in events if e == "token").strip() == reply
    final = events[-1][1]
    plain = client.post("/api/answer", json=question).json()
    assert {k: final[k] for k in ("answer", "refused", "citations")} == {
        k: plain[k] for k in ("answer", "refused", "citations")
    }


def test_stream_of_a_refusal_has_no_tokens(client):
    events = parse_sse(client.post("/api/answer/stream", json={"question": "Zebras yodel quasars?"}).text)
    assert [e for e, _ in events] == ["final"] and events[0][1]["refused"] is True


def test_stream_rejects_a_blank_question_before_streaming(client):
    response = client.post("/api/answer/stream", json={"question": " "})
    assert response.status_code == 422 and "empty" in response.json()["error"]


def test_stream_reports_failure_as_an_error_event(client, pipeline, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("store unavailable")

    monkeypatch.setattr(pipeline, "answer", boom)
    events = parse_sse(client.post("/api/answer/stream", json={"question": "Why?"}).text)
    assert events == [("error", {"error": "answering failed: RuntimeError; try again or use /api/answer"})]


def test_history_over_the_limits_is_a_422(client):
    turns = [{"role": "user", "content": "x"}] * 21
    response = client.post("/api/answer", json={"question": "Why?", "history": turns})
    assert response.status_code == 422 and "limit is 20" in response.json()["error"]
    big = [{"role": "user", "content": "x" * 20001}]
    assert "characters" in client.post("/api/answer", json={"question": "Why?", "history": big}).json()["error"]


def test_errors_carry_a_request_id_and_never_a_stack_trace(pipeline, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pipeline, "answer", boom)
    client = TestClient(create_app(pipeline), raise_server_exceptions=False)
    response = client.post("/api/answer", json={"question": "Why?"})
    body = response.json()
    assert response.status_code == 500 and body["request_id"] == response.headers["x-request-id"]
    assert "secret internals" not in response.text and "Traceback" not in response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
payloads = json_values | st.fixed_dictionaries(
    {"question": json_values | st.text(max_size=60)}, optional={"history": json_values}
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads)
def test_random_json_never_causes_a_server_error(pipeline, scripted, payload):
    scripted.replies[:] = ["NOT IN DOCUMENT"]
    client = TestClient(create_app(pipeline), raise_server_exceptions=False)
    response = client.post("/api/answer", json=payload)
    assert response.status_code in (200, 400, 422), response.text
