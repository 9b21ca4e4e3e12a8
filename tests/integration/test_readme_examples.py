"""The README's examples work as printed (issue #20): every ``curl`` line of README.md is
run with the real curl, through bash (its quoting and ``$TOKEN`` as a reader's shell
would take them), against the service served by gunicorn on loopback as ``make run``
serves it. Only the port (a free one instead of 8000) and the token (a real one of the
demo regulator, issued as ``make run`` issues it) are filled in.

A line that types Chinese raw into a URL fails here: curl sends the bytes as they are and
gunicorn refuses the request line with 400, so such a line has to ask curl to encode it
(``-G --data-urlencode``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from credit_service.access import SYSTEM
from credit_service.auth import tokens
from credit_service.clock import SHANGHAI
from credit_service.demo import seed as demo_seed
from tests.factories import XUANZHOU, create_entity
from tests.integration.test_access_log import ROOT, gunicorn

README = ROOT / "README.md"
PRINTED_HOST = "127.0.0.1:8000"  # where `make run` serves, as the README says
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# written after each answer (curl's own config file, so the lines stay as printed)
CURLRC = 'write-out = "\\n%{http_code}\\n"\n'
# a line whose answer is not 2xx on purpose names it here, as the README documents it
DOCUMENTED_STATUS: dict[str, int] = {}


def curl_lines(text: str) -> list[str]:
    """The ``curl`` commands of the README's shell blocks, continuation lines joined."""
    lines = []
    for language, body in FENCE.findall(text):
        if language not in ("", "sh", "bash", "shell", "console"):
            continue
        for command in re.sub(r"\\\n\s*", " ", body).splitlines():
            command = command.strip().removeprefix("$ ")
            if command.startswith("curl "):
                lines.append(command)
    return lines


def test_the_readme_has_curl_examples_for_the_served_instance():
    lines = curl_lines(README.read_text(encoding="utf-8"))
    assert len(lines) >= 4, lines
    for line in lines:
        assert PRINTED_HOST in line, line


@pytest.fixture
def served(live_ctx, db_kind, tmp_path):  # type: ignore[no-untyped-def]
    """gunicorn over ``live_ctx``'s database with an entity the README's search finds and
    the demo regulator's token; yields (base URL, token)."""
    if db_kind != "sqlite":
        pytest.skip("the README's examples address `make run`'s SQLite instance")
    if not shutil.which("curl"):
        pytest.skip("the README's examples need curl (apt-get install curl)")
    # gunicorn keeps the system's clock: the token is issued on the same clock so that it
    # is valid there, whatever day the suite's fixed clock says
    live_ctx.clock.set(datetime.now(SHANGHAI))
    create_entity(live_ctx, region_code=XUANZHOU, name="宣城泾县宣纸文化有限公司")
    demo_seed.ensure_demo_regulator(live_ctx, SYSTEM, "Readme#Example2026")
    token = tokens.create_token(
        live_ctx, SYSTEM, username=demo_seed.DEMO_REGULATOR, name="demo", days=365
    )
    with gunicorn(live_ctx.settings.database_url, tmp_path) as base:
        yield base, token.secret


def run_as_printed(line: str, base: str, token: str, curl_home: Path) -> tuple[int, str]:
    """Run one README line through bash; its answer's status and body."""
    command = line.replace(PRINTED_HOST, base.removeprefix("http://"))
    done = subprocess.run(
        ["bash", "-c", command],
        env={"PATH": "/usr/bin:/bin", "TOKEN": token, "CURL_HOME": str(curl_home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (line, done.returncode, done.stderr)
    body, _, status = done.stdout.rstrip("\n").rpartition("\n")
    return int(status), body


def test_every_curl_line_of_the_readme_works_as_printed(served, tmp_path):
    base, token = served
    (tmp_path / ".curlrc").write_text(CURLRC, encoding="utf-8")
    answers = {}
    for line in curl_lines(README.read_text(encoding="utf-8")):
        status, body = run_as_printed(line, base, token, tmp_path)
        expected = DOCUMENTED_STATUS.get(line)
        if expected is None:
            assert 200 <= status < 300, (line, status, body[:500])
        else:
            assert status == expected, (line, status, body[:500])
        answers[line] = body
    search = next(body for line, body in answers.items() if "/api/v1/entities" in line)
    assert "宣城泾县宣纸文化有限公司" in search  # the Chinese query arrived as Chinese


def test_chinese_typed_raw_into_the_url_is_refused_by_gunicorn(served, tmp_path):
    """Why the README encodes: the line as it used to be printed gets 400."""
    base, token = served
    (tmp_path / ".curlrc").write_text(CURLRC, encoding="utf-8")
    old = (
        'curl -s -H "Authorization: Bearer $TOKEN" '
        f"'{PRINTED_HOST}/api/v1/entities?q=宣纸&limit=5'"
    )
    assert run_as_printed(old, base, token, tmp_path)[0] == 400
