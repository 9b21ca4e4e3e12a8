"""Every error the served service answers is problem+json (issue #14): gunicorn as
``make run`` starts it (``-c python:credit_service.web.gunicorn_conf``), on loopback.

A URL or headers beyond the service's own limits reach the app (gunicorn's limits lie
above them) and get its 414 or 431; beyond gunicorn's own ceiling, or a request it cannot
parse, gunicorn answers, with a problem document instead of its HTML page."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from credit_service import request_ids
from credit_service.web import hardening
from credit_service.web.i18n import translate
from tests.integration.test_access_log import gunicorn


@pytest.fixture(scope="module")
def port(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One gunicorn for the module, on SQLite: the answers are the same on any database
    (none of these requests reaches one)."""
    folder = tmp_path_factory.mktemp("gunicorn")
    database = f"sqlite:///{folder / 'credit.db'}"
    with gunicorn(database, folder, CATALOGS_AUTOLOAD="false") as base:
        yield int(base.rsplit(":", 1)[1])


def ask(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), json.loads(response.read())
    finally:
        connection.close()


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def long_url(size: int) -> str:
    return "/api/v1/public/dishonesty-list?q=" + "a" * (size - 33)


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        (long_url(hardening.MAX_URL_BYTES + 1), {}, 414, "uri-too-long"),  # the app's limit
        (long_url(10_000), {}, 414, "uri-too-long"),  # beyond gunicorn's ceiling
        ("/healthz", {"X-Big": "a" * 9_000}, 431, "request-header-fields-too-large"),
        ("/healthz", {"X-Huge": "a" * 40_000}, 431, "request-header-fields-too-large"),
        ("/healthz", {f"X-{n}": "1" for n in range(150)}, 431, "request-header-fields-too-large"),
        ("/healthz", {f"X-{n}": "1" for n in range(250)}, 431, "request-header-fields-too-large"),
    ],
    ids=["url-5k", "url-10k", "header-9k", "header-40k", "150-headers", "250-headers"],
)
def test_requests_too_large_get_problem_json(port, path, headers, status, code):
    got, content_type, body = ask(port, path, headers)
    assert (got, content_type) == (status, "application/problem+json")
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith(f"/problems/{code}")
    assert body["detail"] == translate(f"problem.detail.{status}")  # Chinese, by default


def test_a_request_within_the_limits_is_served(port):
    """The longest URL reaches the routing (404: no such page), the largest header the
    health probe (200)."""
    url = "/no-such-page?q=" + "a" * (hardening.MAX_URL_BYTES - 16)
    assert ask(port, url)[:2] == (404, "application/problem+json")
    header = {"X-Big": "a" * (hardening.MAX_HEADER_FIELD_BYTES - len("X-Big: "))}
    assert ask(port, "/healthz", header)[:2] == (200, "application/json")


def test_a_request_gunicorn_cannot_parse_gets_problem_json(port):
    answer = raw(port, b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["code"] == "bad-request"


@pytest.mark.parametrize(
    "request_line",
    [b"GET /healthz HTTP/9.9", b"GET " + long_url(10_000).encode() + b" HTTP/1.1"],
    ids=["unparsable", "url-10k"],
)
def test_what_gunicorn_answers_itself_has_a_request_id(port, request_line):
    """gunicorn's own answers carry a fresh id too, never one the request sent."""
    sent = b"X-Request-ID: sent-by-client-1\r\n"
    answer = raw(port, request_line + b"\r\nHost: x\r\n" + sent + b"\r\n")
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    ids = [line.split(": ", 1)[1] for line in head if line.startswith("X-Request-ID: ")]
    assert len(ids) == 1 and request_ids.WELL_FORMED.fullmatch(ids[0])
    assert ids[0] != "sent-by-client-1"
