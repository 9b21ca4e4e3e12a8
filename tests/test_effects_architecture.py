"""Side effects flow one way (credit_service/changes.py, credit_service/effects.py): only
the handler table reaches the tier recompute, only the outbox writer inserts outbox rows,
and the facts' module is kernel. Read from the source, so a new shortcut fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from credit_service.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "credit_service"
SOURCES = [
    p
    for root in (PACKAGE, PROJECT_ROOT / "schedulers")
    for p in root.rglob("*.py")
    if "migrations" not in p.parts
]
KERNEL = {"access", "changes", "clock", "config", "context", "db", "errors", "identifiers"}


def _name(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every module a file imports, ``from a import b`` counted as ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _trees() -> dict[str, ast.AST]:
    return {_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in SOURCES}


def test_only_the_handler_table_imports_the_tier_recompute():
    importers = [
        name
        for name, tree in _trees().items()
        if "credit_service.tiers.recompute" in _imported_modules(tree)
    ]
    assert importers == ["credit_service/effects.py"]


def _writes_outbox_rows(tree: ast.AST) -> bool:
    """``OutboxEvent(...)``, ``OutboxEvent.__table__`` (a bulk or Core insert) or an
    ``insert(OutboxEvent)``, or SQL text naming the table."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "OutboxEvent":
            return True
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "__table__"
            and getattr(node.value, "id", None) == "OutboxEvent"
        ):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "insert":
            if any(getattr(a, "id", None) == "OutboxEvent" for a in node.args):
                return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "outbox_events" in text and ("insert" in text or "copy" in text):
                return True
    return False


def test_only_the_outbox_writer_inserts_outbox_rows():
    writers = [name for name, tree in _trees().items() if _writes_outbox_rows(tree)]
    assert writers == ["credit_service/sync/outbox.py"]


def test_the_facts_module_is_kernel():
    tree = ast.parse((PACKAGE / "changes.py").read_text(encoding="utf-8"))
    ours = {m.split(".")[1] for m in _imported_modules(tree) if m.startswith("credit_service.")}
    assert ours <= KERNEL, ours - KERNEL


def test_the_checks_see_what_they_look_for():
    """The detectors find the shortcuts they forbid (else the tests above prove nothing)."""
    shortcuts = (
        "session.add(OutboxEvent(event_id='x'))",
        "bulk_insert(session, OutboxEvent.__table__, rows)",
        "session.execute(insert(OutboxEvent).values(x=1))",
        "session.execute(text('INSERT INTO outbox_events (event_id) VALUES (1)'))",
    )
    assert all(_writes_outbox_rows(ast.parse(code)) for code in shortcuts)
    assert not _writes_outbox_rows(ast.parse("select(OutboxEvent.id).where(OutboxEvent.id > 1)"))
    assert "credit_service.tiers.recompute" in _imported_modules(
        ast.parse("from credit_service.tiers import recompute")
    )
