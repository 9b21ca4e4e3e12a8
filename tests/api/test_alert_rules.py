"""docs/prometheus-alerts.yml: valid rules, naming only metrics /metrics serves, with the
job table's intervals; and, where promtool is installed, accepted by it and its unit
tests (tests/fixtures/prometheus-alerts-test.yml) passing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from credit_service.config import Settings
from schedulers.jobs import JOBS, configured

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "prometheus-alerts.yml"
PROMTOOL_TESTS = ROOT / "tests" / "fixtures" / "prometheus-alerts-test.yml"
QUOTED = re.compile(r'"[^"]*"')
SERVICE_METRIC = re.compile(r"\bcredit[_:][a-z0-9_:]+")
TYPE_LINE = re.compile(r"^# TYPE (\S+) (\w+)$", re.MULTILINE)
PROMETHEUS_UP = re.compile(r"\bup\{")  # what Prometheus records of every scrape
SAMPLE_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count")}


def rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def served(client, auth) -> set[str]:  # type: ignore[no-untyped-def]
    """The sample names one scrape of /metrics declares (its # TYPE lines)."""
    text = client.get("/metrics", headers=auth("admin", scopes=["metrics"])).get_data(True)
    names = set()
    for name, kind in TYPE_LINE.findall(text):
        names |= {name + suffix for suffix in SAMPLE_SUFFIXES.get(kind, ("",))}
    return names


def test_every_rule_is_well_formed():
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert {group["name"] for group in document["groups"]} == {
        "credit-service",
        "credit-service-job-intervals",
    }
    alerts = [rule for rule in rules() if "alert" in rule]
    assert len({rule["alert"] for rule in alerts}) == len(alerts)
    for rule in alerts:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]


def test_every_metric_an_expression_names_is_served(client, auth):
    exported = served(client, auth)
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    assert {"credit_http_requests_total", "credit_http_request_duration_seconds_bucket"} <= (
        exported
    )
    for rule in (rule for rule in rules() if "alert" in rule):
        expression = QUOTED.sub('""', rule["expr"])  # label values are no metric names
        named = set(SERVICE_METRIC.findall(expression))
        assert named or PROMETHEUS_UP.search(expression), rule["alert"]
        assert named <= exported | recorded, (rule["alert"], named - exported - recorded)


def test_the_job_intervals_are_the_job_tables():
    table = {
        rule["labels"]["job_id"]: rule["expr"]
        for rule in rules()
        if rule.get("record") == "credit:job_interval_seconds"
    }
    jobs = configured(JOBS, Settings(database_url="sqlite://"))
    assert table == {job.id: f"vector({int(job.period.total_seconds())})" for job in jobs}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    for command in (("check", "rules", RULES), ("test", "rules", PROMTOOL_TESTS)):
        done = subprocess.run(  # noqa: S603 - a fixed command on the repository's files
            ["promtool", *map(str, command)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
