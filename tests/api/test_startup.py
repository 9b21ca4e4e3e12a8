"""Start-up and the command line: a bad catalog stops the app; the CLI manages accounts."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from credit_service.config import PROJECT_ROOT, Settings
from credit_service.errors import CatalogError
from credit_service.web import create_app

BROKEN_FILE = "trademarks.yaml"
_names = itertools.count(1)


def first_item_code(path: Path) -> str:
    match = re.search(r"^\s*-\s*code:\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match is not None
    return match.group(1)


def catalogs_without_disclosure(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the catalogs in which one item has lost its ``disclosure:`` line."""
    directory = tmp_path / "bad-catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", directory)
    path = directory / BROKEN_FILE
    code = first_item_code(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*-\s*code:\s*{code}\s*$", line))
    target = next(i for i in range(start, len(lines)) if re.match(r"\s+disclosure:", lines[i]))
    del lines[target]
    path.write_text("".join(lines), encoding="utf-8")
    return directory, code


def test_create_app_refuses_a_catalog_item_without_disclosure(tmp_path):
    directory, code = catalogs_without_disclosure(tmp_path)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'startup.db'}",
        secret_key="test-secret",
        catalogs_dir=directory,
        data_dir=tmp_path / "data",
        catalogs_autoload=False,
    )
    with pytest.raises(CatalogError) as caught:
        create_app(settings)
    message = str(caught.value)
    assert BROKEN_FILE in message
    assert code in message
    assert "disclosure" in message


def test_create_app_starts_on_the_project_catalogs(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'startup.db'}",
        secret_key="test-secret",
        data_dir=tmp_path / "data",
        catalogs_autoload=False,
    )
    app = create_app(settings)
    assert app.extensions["credit_service"].catalogs.catalogs.keys() == {
        "patent",
        "trademark",
        "geographical_indication",
    }


def test_cli_catalogs_check_reports_a_bad_directory(app, tmp_path):
    directory, code = catalogs_without_disclosure(tmp_path)
    result = app.test_cli_runner().invoke(args=["catalogs", "check", "--dir", str(directory)])
    assert result.exit_code == 1, result.output
    assert BROKEN_FILE in result.output
    assert code in result.output
    assert "disclosure" in result.output


def test_cli_catalogs_check_passes_the_project_catalogs(app):
    result = app.test_cli_runner().invoke(args=["catalogs", "check"])
    assert result.exit_code == 0, result.output
    for domain in ("patent", "trademark", "geographical_indication"):
        assert re.search(rf"^{domain}: \d+ items", result.stdout, re.MULTILINE), result.stdout

    assert re.search(r"^tiers: rule set 2026年版\+[0-9a-f]{12}$", result.stdout, re.MULTILINE)


def test_cli_catalogs_check_also_checks_the_rule_files(app, tmp_path):
    directory = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", directory)
    tiers = directory / "tiers.yaml"
    tiers.write_text(
        tiers.read_text(encoding="utf-8").replace("when: {listed: true}", "when: {listd: true}"),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["catalogs", "check", "--dir", str(directory)])
    assert result.exit_code == 1, result.output
    assert "tiers.yaml" in result.output and "rules.0.when.listd" in result.output


def cli_user_and_token(app, role: str = "regulator", *extra: str) -> tuple[str, str]:
    """Create a user and a token through the CLI; returns (token secret, stderr note)."""
    runner = app.test_cli_runner()
    username = f"cli-{role}-{next(_names)}"
    created = runner.invoke(
        args=["users", "create", username, "--role", role, *extra, "--no-password"]
    )
    assert created.exit_code == 0, created.output
    assert f"created user {username}" in created.stdout
    issued = runner.invoke(args=["tokens", "create", username, "--name", "test"])
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip().splitlines()[0]
    return secret, issued.stderr


def test_cli_users_and_tokens_create_a_working_token(app, client):
    secret, note = cli_user_and_token(app, "regulator", "--region", "341800")
    assert secret.startswith("cst_")
    assert secret not in note
    response = client.get("/api/v1/entities", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_json()


def test_cli_tokens_revoke_stops_the_token(app, client):
    secret, note = cli_user_and_token(app, "viewer", "--region", "341800")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/entities", headers=headers).status_code == 200
    token_id = re.search(r"\(token (\d+),", note).group(1)
    revoked = app.test_cli_runner().invoke(args=["tokens", "revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/entities", headers=headers).status_code == 401


def test_cli_users_create_rejects_a_regulator_without_region(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", f"cli-bad-{next(_names)}", "--role", "regulator", "--no-password"]
    )
    assert result.exit_code == 1
    assert "region_code" in result.output


def test_cli_audit_verify_on_a_clean_chain(app):
    cli_user_and_token(app, "regulator", "--region", "341800")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    match = re.search(r"audit chain intact: (\d+) rows verified", result.stdout)
    assert match is not None, result.output
    assert int(match.group(1)) >= 2
