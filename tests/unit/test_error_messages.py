"""Every error code the core raises has its words in Chinese and English.

The core raises codes with params (credit_service/errors.py); the words live in
web/locales/<language>/errors.yaml under ``error.<code>``. This reads the core's source
for the codes it raises (an error's code, a field error's code, a kept refusal's code)
and checks each has an entry in both languages, with the same placeholders, and that a
raise site passes every param its words need; and that none passes prose instead.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from types import SimpleNamespace

import pytest

from credit_service.auth.services import account_refusal
from credit_service.web.i18n import messages

PACKAGE = Path(__file__).resolve().parents[2] / "credit_service"
OUTSIDE_THE_CORE = ("web", "migrations")
CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
ERROR_KEY = re.compile(r"error\.[a-z0-9]+(-[a-z0-9]+)*")  # not the pages' error.title.404
# what raises a code given as its first argument (InvalidIdentifier: its third, the reason)
RAISERS = {
    "CreditServiceError",
    "NotFound",
    "Conflict",
    "InvalidInput",
    "Unauthenticated",
    "Forbidden",
    "LimitExceeded",
    "CatalogError",
    "UpstreamError",
    "TransientError",
    "PermanentError",
    "Refused",
    "FieldError",
    "InvalidIdentifier",
}


# keywords that name a code raised elsewhere: ChainReport(problem=...), and a procedure's
# Procedure(not_found=..., out_of_order=...) and Step(paper_required=...)
CODE_KEYWORDS = ("problem", "not_found", "out_of_order", "paper_required")


def _code(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if CODE.fullmatch(node.value) else None
    return None


def _callee(node: ast.Call) -> str | None:
    """The name called: ``NotFound`` in ``NotFound(...)`` and ``errors.NotFound(...)``."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    return getattr(node.func, "attr", None)


def _names(call_keywords: list[ast.keyword]) -> set[str] | None:
    """The params a call or dict passes by name; None when it also passes ``**`` some."""
    if any(k.arg is None for k in call_keywords):
        return None
    return {k.arg for k in call_keywords if k.arg not in ("errors", "status")} | (
        {"upstream_status"} if any(k.arg == "status" for k in call_keywords) else set()
    )


def _uses(tree: ast.AST) -> list[tuple[str, set[str] | None, int]]:
    """(code, params given or None when unknown, line) of each use in a module."""
    found: list[tuple[str, set[str] | None, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _callee(node)
            if name in RAISERS and node.args:
                position = 2 if name == "InvalidIdentifier" and len(node.args) > 2 else 0
                code = _code(node.args[position])
                if code:
                    found.append((code, _names(node.keywords), node.lineno))
            if name == "append" and len(node.args) == 1 and _code(node.args[0]):
                found.append((node.args[0].value, set(), node.lineno))  # type: ignore[attr-defined]
            for keyword in node.keywords:  # e.g. ChainReport(problem=...)
                if keyword.arg in CODE_KEYWORDS and _code(keyword.value):
                    found.append((keyword.value.value, None, node.lineno))  # type: ignore[attr-defined]
        elif isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            for key, value in zip(keys, node.values, strict=True):
                if key in ("code", "error") and _code(value):
                    given = None if None in keys else {k for k in keys if k != "code"}
                    found.append((value.value, given, node.lineno))  # type: ignore[attr-defined]
                if isinstance(value, ast.List):  # {"field": ["code"]}
                    found += [(e.value, set(), node.lineno) for e in value.elts if _code(e)]  # type: ignore[attr-defined]
        elif isinstance(node, ast.Assign | ast.DictComp) and isinstance(node.value, ast.List):
            if isinstance(node, ast.DictComp) or any(
                isinstance(t, ast.Subscript) for t in node.targets
            ):  # errors[name] = ["code"]
                found += [(e.value, set(), node.lineno) for e in node.value.elts if _code(e)]  # type: ignore[attr-defined]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _code(node.elts[0]):
            if isinstance(node.elts[1], ast.Dict):  # ("code", {params})
                keys = {k.value for k in node.elts[1].keys if isinstance(k, ast.Constant)}
                found.append((node.elts[0].value, keys, node.lineno))  # type: ignore[attr-defined]
        elif isinstance(node, ast.ClassDef):  # an error class's own code
            for statement in node.body:
                targets = getattr(statement, "targets", [])
                if [getattr(t, "id", None) for t in targets] == ["code"]:
                    code = _code(statement.value)  # type: ignore[attr-defined]
                    if code:
                        found.append((code, None, statement.lineno))
    return found


def _prose(tree: ast.AST) -> list[tuple[str, int]]:
    """(text, line) of each raise site that passes prose instead of a code: a text that is
    no code (or an f-string) where the code goes, or the legacy ``code=`` beside it."""
    found = []
    for node in ast.walk(tree):
        name = _callee(node) if isinstance(node, ast.Call) else None
        if name not in RAISERS:
            continue
        position = 2 if name == "InvalidIdentifier" and len(node.args) > 2 else 0
        given = node.args[position] if len(node.args) > position else None
        literal = isinstance(given, ast.Constant) and isinstance(given.value, str)
        if isinstance(given, ast.JoinedStr) or (literal and not _code(given)):
            found.append((ast.unparse(given), node.lineno))
        found += [("code=", node.lineno) for k in node.keywords if k.arg == "code"]
    return found


def _core_modules() -> list[tuple[Path, ast.AST]]:
    return [
        (path.relative_to(PACKAGE), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in OUTSIDE_THE_CORE
    ]


def core_uses() -> dict[str, list[tuple[str, set[str] | None]]]:
    """Every code the core uses, with where and the params given there."""
    uses: dict[str, list[tuple[str, set[str] | None]]] = {}
    for relative, tree in _core_modules():
        for code, given, line in _uses(tree):
            uses.setdefault(code, []).append((f"{relative}:{line}", given))
    for refusal in (  # returned by a rule, then raised as the code of a Conflict
        account_refusal(SimpleNamespace(is_active=False, binding_status="approved")),
        account_refusal(SimpleNamespace(is_active=True, binding_status="pending")),
    ):
        uses.setdefault(str(refusal), []).append(("auth/services.py:account_refusal", None))
    return uses


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_the_scan_finds_the_codes_of_each_kind_of_raise_site():
    uses = core_uses()
    for code in (
        "record-not-found",  # NotFound("record-not-found", record_id=...)
        "identifier-check-character",  # InvalidIdentifier(kind, value, reason, ...)
        "not-a-number",  # FieldError("not-a-number")
        "date-too-early",  # {"code": "date-too-early", ...}
        "more-values-than-columns",  # {"row": ["more-values-than-columns"]}
        "audit-row-altered",  # ("audit-row-altered", {...})
        "password-too-common",  # problems.append("password-too-common")
        "binding-pending",  # account_refusal()
        "invalid-identifier",  # class InvalidIdentifier: code = ...
        "application-changed",  # Procedure(out_of_order=...)
        "written-waiver-missing",  # Step(paper_required=...)
        "pdf-too-many-tokens",  # _unreadable({"code": ...})
        "minimum-period-running",  # a repair condition's refusal
    ):
        assert code in uses, code
    assert "unknown-user" not in uses  # an audit outcome, never raised


def test_no_raise_site_in_the_core_passes_prose():
    prose = [
        f"{relative}:{line}: {text}"
        for relative, tree in _core_modules()
        for text, line in _prose(tree)
    ]
    assert not prose


def test_the_prose_scan_finds_a_sentence_an_f_string_and_the_legacy_code_keyword():
    tree = ast.parse(
        'raise NotFound("no such plan; 无此计划", code="plan-not-found")\n'
        'raise Conflict(f"case {case_id} exists")\n'
        'raise InvalidInput("plan-not-found", plan_id=1)\n'
    )
    assert [line for _, line in _prose(tree)] == [1, 1, 2]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_code_the_core_raises_has_its_words(language):
    words = messages(language)
    missing = sorted(
        f"{code} ({uses[0][0]})"
        for code, uses in core_uses().items()
        if f"error.{code}" not in words
    )
    assert not missing, f"no error.<code> in locales/{language}/errors.yaml: {missing}"


def test_chinese_and_english_name_the_same_params():
    zh, en = messages("zh"), messages("en")
    keys = sorted(k for k in zh if ERROR_KEY.fullmatch(k))
    assert keys == sorted(k for k in en if ERROR_KEY.fullmatch(k))
    differ = [k for k in keys if placeholders(zh[k]) != placeholders(en[k])]
    assert not differ


def test_every_raise_site_gives_the_params_its_words_need():
    zh = messages("zh")
    short = []
    for code, uses in core_uses().items():
        needed = placeholders(zh.get(f"error.{code}", ""))
        short += [
            f"{where}: {code} needs {sorted(needed - given)}"
            for where, given in uses
            if given is not None and not needed <= given
        ]
    assert not short


def test_the_chinese_words_are_chinese():
    """What a Chinese user reads: no English sentence (a command to type is quoted in
    backticks; a file or an HTTP status may come in as a param's value)."""
    zh = messages("zh")
    english = [
        k
        for k, text in zh.items()
        if ERROR_KEY.fullmatch(k)
        and re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", re.sub(r"`[^`]*`", "", text))
    ]
    assert not english
