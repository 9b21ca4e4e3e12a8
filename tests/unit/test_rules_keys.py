"""Every key of every rules file is known to the service and read by its code (issue #15:
two list deadlines were loaded from dishonesty.yaml and never read)."""

from __future__ import annotations

import pytest
import yaml
from marshmallow import Schema, fields

from credit_service.bootstrap import RULES_FILES, rules_key_reports
from credit_service.config import PROJECT_ROOT
from credit_service.rules_files import declared_keys, read_by, unknown_keys, unused_keys


@pytest.mark.parametrize("name", RULES_FILES)
def test_every_key_of_a_rules_file_is_read_by_some_code(name):
    assert unused_keys(RULES_FILES[name]()) == []


@pytest.mark.parametrize("name", RULES_FILES)
def test_the_shipped_rules_files_hold_no_unknown_key(name):
    assert rules_key_reports(PROJECT_ROOT / "catalogs")[name].unknown == ()


@pytest.mark.parametrize("name", RULES_FILES)
def test_every_key_a_shipped_rules_file_sets_is_declared(name):
    """The shipped file sets every key the schema knows (optional sections aside), so the
    declarations above cover what a regulator actually edits."""
    raw = yaml.safe_load((PROJECT_ROOT / "catalogs" / name).read_text(encoding="utf-8"))
    declared = {path for path, _ in declared_keys(RULES_FILES[name]())}
    top = {path.split(".")[0] for path in declared}
    assert set(raw) <= top


class Window(Schema):
    days = fields.Integer(metadata=read_by("statement_window_workdays", "dishonesty/rules.py"))
    ignored = fields.Integer(metadata=read_by("removal_decision_workdays", "dishonesty/rules.py"))


class Toy(Schema):
    window = fields.Nested(Window)
    steps = fields.List(fields.Nested(Window))
    undeclared = fields.String()
    missing_file = fields.String(metadata=read_by("term_months", "dishonesty/no_such_file.py"))
    template = fields.String(metadata=read_by("office_name", "web/templates/public/home.html"))


def test_a_key_whose_attribute_no_declared_file_reads_is_unused():
    """The early-removal deadline case: declared, loaded, and read by nothing."""
    assert unused_keys(Toy()) == [
        "window.ignored",
        "steps.ignored",
        "undeclared",
        "missing_file",
    ]


def test_the_loader_filling_an_attribute_does_not_count_as_reading_it():
    """dishonesty/definitions.py passes every procedure value on as a keyword argument
    and declares it as a field: neither is a read."""

    class Loaded(Schema):
        term = fields.String(metadata=read_by("term_months", "dishonesty/definitions.py"))

    assert unused_keys(Loaded()) == ["term"]


def test_unknown_keys_are_all_listed_with_where_they_are():
    raw = {
        "window": {"days": 5, "dayz": 6},
        "steps": [{"days": 1}, {"days": 2, "extra": True}],
        "typo": 1,
    }
    assert unknown_keys(Toy(), raw) == ["window.dayz", "steps.1.extra", "typo"]


def test_read_by_needs_a_file():
    with pytest.raises(ValueError, match="names no file"):
        read_by("term_months")
