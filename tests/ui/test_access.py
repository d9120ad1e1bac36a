"""Access control: the API key, per-client rate limits, CORS, the chat's login and the open-bind warning."""

from __future__ import annotations

import argparse

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rag.answer import Pipeline
from ui.http.access import RateLimiter, bind_warning, is_loopback
from ui.http.app import ErrorBody, create_app

KEY = "s3cret-key"
GUARDED = [
    ("POST", "/api/answer", {"json": {"question": "Why?"}}),
    ("POST", "/api/answer/stream", {"json": {"question": "Why?"}}),
    ("GET", "/api/documents", {}),
    ("POST", "/api/documents", {"files": [("files", ("a.txt", b"Some text."))]}),
    ("DELETE", "/api/documents/0123456789abcdef", {}),
    ("GET", "/v1/models", {}),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "Why?"}]}}),
]


def make_pipeline(pipeline: Pipeline, **update) -> Pipeline:
    """The test pipeline with some access settings changed."""
    return Pipeline(pipeline.store, pipeline.chat_model, pipeline.settings.model_copy(update=update))


@pytest.fixture
def keyed(pipeline) -> TestClient:
    return TestClient(create_app(make_pipeline(pipeline, api_key=SecretStr(KEY))))


def assert_error_body(response, status: int, words: str) -> None:
    """The project's JSON error shape, with the response's request id."""
    assert response.status_code == status, response.text
    body = ErrorBody.model_validate(response.json())
    assert set(response.json()) == {"error", "detail", "request_id"}
    assert words in body.error and body.detail == []
    assert body.request_id and body.request_id == response.headers["x-request-id"]


# --- the API key ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,kwargs", GUARDED)
def test_without_the_key_every_api_route_is_a_401(keyed, method, path, kwargs):
    response = keyed.request(method, path, **kwargs)
    assert_error_body(response, 401, "missing API key")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method,path,kwargs", GUARDED)
def test_a_wrong_key_is_a_401(keyed, method, path, kwargs):
    response = keyed.request(method, path, headers={"Authorization": f"Bearer {KEY}x"}, **kwargs)
    assert_error_body(response, 401, "wrong API key")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["Bearer s3cret", f"Basic {KEY}", KEY, "Bearer ", f"Bearer  {KEY} extra", "Bearer é".encode()]
)
def test_anything_but_the_exact_bearer_key_is_a_401(keyed, header):
    response = keyed.get("/api/documents", headers={"Authorization": header})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_the_right_key_opens_every_route(keyed, scripted):
    auth = {"Authorization": f"Bearer {KEY}"}
    scripted.replies[:] = ["NOT IN DOCUMENT"] * 4
    assert keyed.post("/api/answer", json={"question": "Why?"}, headers=auth).status_code == 200
    assert keyed.post("/api/answer/stream", json={"question": "Why?"}, headers=auth).status_code == 200
    assert keyed.get("/api/documents", headers=auth).status_code == 200
    assert keyed.get("/v1/models", headers=auth).status_code == 200
    chat = {"messages": [{"role": "user", "content": "Why?"}]}
    assert keyed.post("/v1/chat/completions", json=chat, headers=auth).status_code == 200
    # past the key, the routes answer as usual: an unknown document is the API's own 404
    assert keyed.delete("/api/documents/0123456789abcdef", headers=auth).status_code == 404
    # the scheme name is case-insensitive (RFC 7235)
    assert keyed.get("/v1/models", headers={"Authorization": f"bearer {KEY}"}).status_code == 200


def test_the_openai_client_sends_the_key(pipeline):
    import openai

    app = create_app(make_pipeline(pipeline, api_key=SecretStr(KEY)))
    client = openai.OpenAI(base_url="http://testserver/v1", api_key=KEY, http_client=TestClient(app))
    assert [m.id for m in client.models.list()] == ["alliance-qa"]
    wrong = openai.OpenAI(base_url="http://testserver/v1", api_key="nope", http_client=TestClient(app))
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()


def test_health_is_open_and_shows_only_its_status_without_the_key(keyed):
    response = keyed.get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
    full = keyed.get("/api/health", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert full["status"] == "ok" and full["documents"] == 1 and "llm" in full


def test_docs_stay_open_and_declare_the_bearer_key(keyed):
    assert keyed.get("/docs").status_code == 200
    spec = keyed.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/answer"]["post"]["security"] == [{"bearer": []}]
    assert spec["paths"]["/v1/models"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/api/health"]["get"]


def test_without_a_key_setting_everything_is_open(pipeline):
    client = TestClient(create_app(pipeline))
    assert client.get("/api/documents").status_code == 200
    assert client.get("/api/health").json()["documents"] == 1
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


def test_a_blank_key_setting_means_no_key(pipeline):
    client = TestClient(create_app(make_pipeline(pipeline, api_key=SecretStr("  "))))
    assert client.get("/api/documents").status_code == 200


# --- the rate limit ------------------------------------------------------------------------------------------------


def test_past_the_limit_a_client_gets_a_429_with_retry_after(pipeline):
    app = create_app(make_pipeline(pipeline, rate_limit=3))
    client = TestClient(app)
    assert [client.get("/api/documents").status_code for _ in range(3)] == [200] * 3
    response = client.get("/v1/models")
    assert_error_body(response, 429, "too many requests: at most 3 a minute")
    assert 1 <= int(response.headers["retry-after"]) <= 60  # until the oldest of the 3 leaves the moving minute
    # health is exempt, and so are the chat's pages
    assert client.get("/api/health").status_code == 200
    assert client.get("/docs").status_code == 200
    # another address has its own budget
    other = TestClient(app, client=("203.0.113.9", 50000))
    assert other.get("/api/documents").status_code == 200


def test_forwarded_for_does_not_make_a_new_client(pipeline):
    client = TestClient(create_app(make_pipeline(pipeline, rate_limit=2)))
    statuses = [client.get("/api/documents", headers={"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]


def test_with_a_key_wrong_guesses_count_against_the_address(pipeline):
    app = create_app(make_pipeline(pipeline, api_key=SecretStr(KEY), rate_limit=2))
    guesser = TestClient(app)
    guesses = [guesser.get("/v1/models", headers={"Authorization": f"Bearer guess{n}"}) for n in range(3)]
    assert [r.status_code for r in guesses] == [401, 401, 429]
    # the key holder is a client of its own, even from the same address
    assert guesser.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_rate_limit_zero_is_off(pipeline):
    client = TestClient(create_app(make_pipeline(pipeline, rate_limit=0)))
    assert {client.get("/api/documents").status_code for _ in range(150)} == {200}


def test_the_default_limit_allows_a_burst_of_120(pipeline):
    client = TestClient(create_app(pipeline))
    assert pipeline.settings.rate_limit == 120
    assert {client.get("/v1/models").status_code for _ in range(120)} == {200}
    # the bucket refills by 2 a second while the burst runs, so the 429 comes a few requests later
    assert 429 in {client.get("/v1/models").status_code for _ in range(200)}


def test_a_client_gets_its_quota_per_moving_minute_and_then_the_wait():
    limiter = RateLimiter(60)
    assert all(limiter.take("a") == 0 for _ in range(60))
    wait = limiter.take("a")
    assert 0 < wait <= 60  # until the first of the 60 requests leaves the window
    assert limiter.take("b") == 0  # another client has its own quota


def test_the_limiter_is_thread_safe():
    from concurrent.futures import ThreadPoolExecutor

    limiter = RateLimiter(100)
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: limiter.take("x"), range(400)))
    assert sum(w == 0 for w in waits) == 100


# --- CORS ----------------------------------------------------------------------------------------------------------


PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}


def test_no_cors_headers_by_default(pipeline):
    client = TestClient(create_app(pipeline))
    response = client.get("/api/documents", headers={"Origin": "https://a.example"})
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    preflight = client.options("/api/answer", headers={"Origin": "https://a.example", **PREFLIGHT})
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


def test_a_configured_origin_gets_cors_even_with_a_key(pipeline):
    settings = {"api_key": SecretStr(KEY), "cors_origins": ["https://a.example"]}
    client = TestClient(create_app(make_pipeline(pipeline, **settings)))
    preflight = client.options("/api/answer", headers={"Origin": "https://a.example", **PREFLIGHT})
    assert preflight.status_code == 200 and preflight.headers["x-request-id"]
    assert preflight.headers["access-control-allow-origin"] == "https://a.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    # a browser can read the 401 and its request id
    refused = client.get("/api/documents", headers={"Origin": "https://a.example"})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "https://a.example"
    assert "x-request-id" in refused.headers["access-control-expose-headers"].lower()
    stranger = client.options("/api/answer", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert stranger.status_code == 400 and "access-control-allow-origin" not in stranger.headers


# --- the chat's login ----------------------------------------------------------------------------------------------


@pytest.fixture
def chat(pipeline):
    from ui.chat.app import build_ui

    keyed = make_pipeline(pipeline, api_key=SecretStr(KEY))
    with TestClient(create_app(keyed, ui=build_ui(keyed))) as client:
        yield client


def test_the_chat_asks_for_a_login_when_a_key_is_set(chat):
    page = chat.get("/")
    assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
    assert "qa-chat" not in page.text  # no component is revealed before the login
    assert chat.get("/config").status_code == 401
    assert chat.get("/gradio_api/info").status_code == 401
    assert chat.post("/gradio_api/call/ask", json={"data": ["Why?", [], {}]}).status_code == 401
    assert chat.post("/gradio_api/call/answer", json={"data": ["Why?", ""]}).status_code == 401
    assert chat.post("/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"}).status_code == 401
    assert chat.post("/gradio_api/upload", files=[("files", ("a.txt", b"Some text."))]).status_code == 401
    assert chat.post("/login", data={"username": "anyone", "password": "wrong"}).status_code == 400
    assert chat.get("/config").status_code == 401


def test_any_user_name_with_the_key_logs_in(chat):
    assert chat.post("/login", data={"username": "reader", "password": KEY}).status_code == 200
    config = chat.get("/config")
    assert config.status_code == 200
    ids = {c.get("props", {}).get("elem_id") for c in config.json()["components"]}
    assert "qa-chat" in ids
    assert chat.get("/gradio_api/info").status_code == 200
    assert chat.post("/gradio_api/call/answer", json={"data": ["Why?", ""]}).status_code == 200
    # the login is the chat's: the API still wants the bearer key
    assert chat.get("/api/documents").status_code == 401


def test_login_attempts_share_the_rate_limit(pipeline):
    from ui.chat.app import build_ui

    keyed = make_pipeline(pipeline, api_key=SecretStr(KEY), rate_limit=2)
    with TestClient(create_app(keyed, ui=build_ui(keyed))) as client:
        guesses = [client.post("/login", data={"username": "a", "password": f"g{n}"}) for n in range(3)]
    assert [r.status_code for r in guesses] == [400, 400, 429]
    assert guesses[-1].headers["retry-after"]


def test_without_a_key_the_chat_needs_no_login(pipeline):
    from ui.chat.app import build_ui

    with TestClient(create_app(pipeline, ui=build_ui(pipeline))) as client:
        assert client.get("/config").status_code == 200


# --- the warning for an open bind ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]
)
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com", "fe80::1", ""])
def test_hosts_reachable_from_elsewhere(host):
    assert not is_loopback(host)


def test_bind_warning_only_for_an_open_bind_without_a_key(essay_settings):
    assert bind_warning("127.0.0.1", 7860, essay_settings) is None
    keyed = essay_settings.model_copy(update={"api_key": SecretStr(KEY)})
    assert bind_warning("0.0.0.0", 7860, keyed) is None
    warning = bind_warning("0.0.0.0", 7860, essay_settings)
    assert warning and "0.0.0.0:7860" in warning and "ALLIANCE_QA_API_KEY" in warning
    assert "upload" in warning and "delete" in warning and "ask" in warning


@pytest.mark.parametrize("host,warned", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_serve_prints_the_warning_for_an_open_bind(pipeline, monkeypatch, capsys, host, warned):
    import uvicorn

    import rag.service
    import ui.chat.app
    from rag.library import Library
    from ui.cli import _serve

    served: list[dict] = []
    monkeypatch.setattr(rag.service, "load_library", lambda settings: Library.of(pipeline))
    monkeypatch.setattr(ui.chat.app, "build_ui", lambda library: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append(kwargs))
    args = argparse.Namespace(host=host, port=7999, no_ingest=True)
    assert _serve(args, pipeline.settings) == 0
    assert served == [{"host": host, "port": 7999, "log_level": "warning"}]
    err = capsys.readouterr().err
    assert ("anyone who can reach this port" in err) is warned


def test_each_refusal_is_one_log_line_with_its_request_id(keyed, caplog):
    with caplog.at_level("WARNING", logger="ui.http.access"):
        response = keyed.get("/api/documents", headers={"Authorization": "Bearer guess-4711"})
    lines = [r.getMessage() for r in caplog.records if r.name == "ui.http.access"]
    assert len(lines) == 1 and response.headers["x-request-id"] in lines[0] and "-> 401" in lines[0]
    assert "guess-4711" not in caplog.text  # the guess itself is never logged
