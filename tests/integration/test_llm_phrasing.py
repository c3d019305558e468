"""LLM phrasing against a real local HTTP server that imitates ``/v1/chat/completions``.

The server records each request and is switched between a good rephrasing and the failure modes
(HTTP 500, a reply slower than the timeout, malformed JSON, an invented number, empty or cut-off
content); every failure must keep the draft, with a reason, and never raise.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shopmind.llm import Draft, OpenAICompatiblePhraser

DRAFT = Draft(
    question="我的订单 SO20260305001 什么时候到？",
    answer="订单 SO20260305001 已于 2026-03-05 发货，运费 26.90 元，预计 3 天内送达。",
    sources=("发货政策：现货商品 48 小时内发货，满 99 元包邮。",),
    language="zh",
)
GOOD = "您好！您的订单 SO20260305001 已在 2026-03-05 发出，运费 26.9 元，大约 3 天就能送到～"
INVENTED = "您好！您的订单 SO20260305001 已发出，运费 19.9 元，明天就能送到～"


@dataclass
class FakeLLM:
    port: int = 0
    mode: str = "good"
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends a "slow" reply

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/"


def _completion(content: str, finish_reason: str = "stop") -> bytes:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": content},
        "finish_reason": finish_reason,
    }
    return json.dumps({"id": "x", "object": "chat.completion", "choices": [choice]}).encode()


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the phraser's pooled client expects

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(raw),
                }
            )
            status, body = 200, _completion(GOOD)
            if fake.mode == "error500":
                status, body = 500, b'{"error": {"message": "model crashed"}}'
            elif fake.mode == "slow":
                fake.release.wait(5)
            elif fake.mode == "malformed":
                body = b'{"choices": [{"message": '
            elif fake.mode == "invented":
                body = _completion(INVENTED)
            elif fake.mode == "empty":
                body = _completion("  ")
            elif fake.mode == "truncated":
                body = _completion(GOOD[:10], finish_reason="length")
            elif fake.mode == "thinking":
                body = _completion(f"<think>运费 26.90 元，要不要说 8 折？</think>\n{GOOD}")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (the timeout test)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def fake(server: FakeLLM) -> Iterator[FakeLLM]:
    server.mode = "good"
    server.requests.clear()
    server.release = threading.Event()
    yield server
    server.release.set()  # lets a "slow" handler finish


@pytest.fixture
def phraser(fake: FakeLLM) -> Iterator[OpenAICompatiblePhraser]:
    p = OpenAICompatiblePhraser(fake.url, "qwen2.5:7b", api_key="sk-test", timeout_s=5.0)
    yield p
    p.close()


def test_request_has_model_messages_and_key(fake: FakeLLM, phraser: OpenAICompatiblePhraser) -> None:
    phraser.phrase(DRAFT)
    [request] = fake.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    body = request["body"]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("qwen2.5:7b", 0.2, 300)
    system, user = body["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "Chinese or English" in system["content"]
    assert "order id" in system["content"]
    assert "Add nothing" in system["content"]
    for part in (DRAFT.question, DRAFT.answer, *DRAFT.sources, "Chinese"):
        assert part in user["content"]


def test_no_key_no_authorization_header(fake: FakeLLM) -> None:
    p = OpenAICompatiblePhraser(fake.url, "llama3.2", timeout_s=5.0)
    try:
        assert p.phrase(DRAFT).used_llm
    finally:
        p.close()
    assert "authorization" not in fake.requests[-1]["headers"]


def test_good_rephrasing_is_used(fake: FakeLLM, phraser: OpenAICompatiblePhraser) -> None:
    for mode in ("good", "thinking"):  # a reasoning model's <think> block is dropped
        fake.mode = mode
        result = phraser.phrase(DRAFT)
        assert (result.text, result.used_llm, result.error) == (GOOD, True, None)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error500", "HTTP 500"),
        ("malformed", "malformed JSON"),
        ("invented", "ungrounded output: 19.9"),
        ("empty", "empty content"),
        ("truncated", "cut off at max_tokens=300"),
    ],
)
def test_failure_keeps_the_draft(
    fake: FakeLLM, phraser: OpenAICompatiblePhraser, mode: str, reason: str
) -> None:
    fake.mode = mode
    result = phraser.phrase(DRAFT)
    assert (result.text, result.used_llm) == (DRAFT.answer, False)
    assert result.error is not None
    assert reason in result.error
    assert "sk-test" not in result.error


def test_slow_reply_times_out_to_the_draft(fake: FakeLLM) -> None:
    fake.mode = "slow"
    p = OpenAICompatiblePhraser(fake.url, "qwen2.5:7b", timeout_s=0.3)
    try:
        start = time.monotonic()
        result = p.phrase(DRAFT)
        elapsed = time.monotonic() - start
    finally:
        p.close()
    assert (result.text, result.used_llm) == (DRAFT.answer, False)
    assert result.error is not None
    assert "timeout after 0.3s" in result.error
    assert elapsed < 2.0


def test_unreachable_server_keeps_the_draft() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = OpenAICompatiblePhraser(f"http://127.0.0.1:{port}/v1", "qwen2.5:7b", timeout_s=0.3)
    try:
        result = p.phrase(DRAFT)
    finally:
        p.close()
    assert (result.text, result.used_llm) == (DRAFT.answer, False)
    assert result.error is not None
    assert "ConnectError" in result.error


def test_closed_phraser_still_answers(fake: FakeLLM) -> None:
    p = OpenAICompatiblePhraser(fake.url, "qwen2.5:7b", timeout_s=5.0)
    p.close()
    result = p.phrase(DRAFT)
    assert (result.text, result.used_llm) == (DRAFT.answer, False)
    assert result.error is not None


def test_one_phraser_serves_concurrent_chats(fake: FakeLLM, phraser: OpenAICompatiblePhraser) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(phraser.phrase, [DRAFT] * 16))
    assert all(r.used_llm and r.text == GOOD for r in results)
    assert len(fake.requests) == 16
