"""Start-up and the command line: a bad catalog stops the app; the CLI manages accounts."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from credit_service.auth import passwords
from credit_service.config import PASSWORD_PROFILES, PROJECT_ROOT, Settings, SettingsError
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


def test_cli_catalogs_check_lists_every_unknown_key_of_the_rules_files(app, tmp_path):
    """The list deadlines once loaded from dishonesty.yaml and read by nothing are now
    unknown keys there: the check names each (the loader would stop at the first)."""
    directory = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", directory)
    rules = directory / "dishonesty.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace(
            "  early_removal_after: P1Y",
            "  early_removal_after: P1Y\n  removal_decision_workdays: 15\n  withdrawal_workdays: 3",
        ),
        encoding="utf-8",
    )
    repair = directory / "repair.yaml"
    repair.write_text(repair.read_text(encoding="utf-8") + "cooldwn: P1Y\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalogs", "check", "--dir", str(directory)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "error: dishonesty.yaml: unknown key 'procedure.removal_decision_workdays'",
        "error: dishonesty.yaml: unknown key 'procedure.withdrawal_workdays'",
        "error: repair.yaml: unknown key 'cooldwn'",
    ]


def test_cli_catalogs_check_reports_a_key_no_code_reads(app, monkeypatch):
    from marshmallow import fields

    from credit_service import bootstrap
    from credit_service.repair.definitions import RepairRulesSchema
    from credit_service.rules_files import read_by

    class Extended(RepairRulesSchema):
        withdrawal_workdays = fields.Integer(
            metadata=read_by("withdrawal_workdays", "dishonesty/services.py")
        )

    monkeypatch.setitem(bootstrap.RULES_FILES, "repair.yaml", Extended)
    result = app.test_cli_runner().invoke(args=["catalogs", "check"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "error: repair.yaml: unused key 'withdrawal_workdays': no code reads it"
    ]


def test_cli_catalogs_check_fails_when_a_cnipa_category_has_no_item(app, tmp_path):
    """D9: every finding carries one of the seven categories, and the catalog gate refuses
    a record without an item, so a category no item carries could not be recorded."""
    directory = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", directory)
    for name in ("patents.yaml", "trademarks.yaml", "geographical_indications.yaml"):
        path = directory / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("other_catalogued", "false_materials"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalogs", "check", "--dir", str(directory)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "error: no catalog item carries CNIPA category 'other_catalogued' (D9)"
    ]


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


# --- settings checked at start-up ----------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"AUDIT_RETENTION_DAYS": "179"}, "must be at least 180"),
        ({"AUDIT_RETENTION_DAYS": "0"}, "must be at least 180"),
        ({"AUDIT_RETENTION_DAYS": "a year"}, "invalid literal"),
        ({"PASSWORD_PROFILE": "mlps"}, "must be one of ASVS, MLPS"),
        ({"PASSWORD_PROFILE": "NIST"}, "must be one of ASVS, MLPS"),
        ({"REPLICA_MAX_LAG_SECONDS": "0"}, "must be more than 0"),
        ({"REPLICA_CHECK_SECONDS": "-1"}, "must be more than 0"),
        ({"SCHEDULER_LEASE_SECONDS": "2"}, "must be at least 3"),
    ],
)
def test_settings_refuse_a_value_the_service_cannot_honour_naming_the_variable(environ, named):
    [(variable, value)] = environ.items()

    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)

    message = str(caught.value)
    assert message.startswith(f"{variable}=") and value in message.split(":")[0]
    assert named in message


def test_settings_accept_the_floor_and_each_known_profile():
    assert Settings.from_env({"AUDIT_RETENTION_DAYS": "180"}).audit_retention_days == 180
    for profile in passwords.PROFILES:
        assert Settings.from_env({"PASSWORD_PROFILE": profile}).password_profile == profile


def test_every_profile_the_setting_accepts_has_its_password_rules():
    """The setting's choices live in the kernel (config), the rules in auth: a name in one
    and not the other would start a service that fails at its first sign-in."""
    assert set(PASSWORD_PROFILES) == set(passwords.PROFILES)
    assert all(name == profile.name for name, profile in passwords.PROFILES.items())


def test_settings_built_in_code_are_checked_too(tmp_path):
    with pytest.raises(SettingsError, match="AUDIT_RETENTION_DAYS=90"):
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", audit_retention_days=90)
    with pytest.raises(SettingsError, match="PASSWORD_PROFILE='ASVS4'"):
        Settings().replace(password_profile="ASVS4")
