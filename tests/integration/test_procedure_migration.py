"""The migration to one procedure history keeps every step and document already stored:
listing and repair steps in their order, documents under their ids (addresses handed out
stay valid), and inspection results become their step."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from credit_service.health import alembic_config

BEFORE = "b5e2f0c94d1a"
AFTER = "c3d8f1a2e9b6"
STEP = (
    "INSERT INTO {table} ({owner}, step, state_after, actor, at, effective_on, reason, details)"
    " VALUES (:owner, :step, :state, 'officer', :at, :on, :reason, :details)"
)


def _upgrade(connection: sa.Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _old_rows(connection: sa.Connection) -> None:
    """Rows as the old tables held them (parents are not needed: SQLite does not check
    foreign keys on a plain connection)."""
    for n, (step, state) in enumerate([("propose", "proposed"), ("serve_notice", "notice_served")]):
        connection.execute(
            sa.text(STEP.format(table="dishonesty_case_steps", owner="case_id")),
            {
                "owner": 7,
                "step": step,
                "state": state,
                "at": f"2026-03-0{n + 2} 02:00:00",
                "on": f"2026-03-0{n + 2}",
                "reason": "理由",
                "details": json.dumps({"n": n}),
            },
        )
    connection.execute(
        sa.text(STEP.format(table="repair_steps", owner="application_id")),
        {
            "owner": 3,
            "step": "submit",
            "state": "submitted",
            "at": "2026-04-01 02:00:00",
            "on": "2026-04-01",
            "reason": "申请修复",
            "details": "{}",
        },
    )
    connection.execute(
        sa.text(
            "INSERT INTO dishonesty_case_documents (id, case_id, kind, number, html, sha256, "
            "created_at) VALUES (41, 7, 'notice', '宣市监信告〔2026〕1号', '<p>告知</p>', 'h', "
            "'2026-03-03 02:00:00')"
        )
    )
    connection.execute(
        sa.text(
            "INSERT INTO inspection_items (id, plan_id, position, entity_id, tier, triggered, "
            "inspector_ids, outcome, note, result_at, result_by) VALUES "
            "(5, 1, 1, 9, 'B', 0, '[]', 'no_problems', '未发现问题', '2026-11-30 17:30:00', 'ins'),"
            "(6, 1, 2, 9, 'B', 0, '[]', NULL, NULL, NULL, NULL)"
        )
    )


def test_every_step_and_document_moves_to_the_procedure_tables(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        _upgrade(connection, BEFORE)
        _old_rows(connection)
        _upgrade(connection, AFTER)
        steps = connection.execute(
            sa.text(
                "SELECT procedure, subject_id, step, effective_on, reason, details "
                "FROM procedure_steps ORDER BY id"
            )
        ).all()
        documents = connection.execute(
            sa.text("SELECT id, procedure, subject_id, number FROM procedure_documents")
        ).all()
        items = connection.execute(
            sa.text("SELECT id, state, version FROM inspection_items ORDER BY id")
        ).all()
        tables = sa.inspect(connection).get_table_names()
    engine.dispose()
    assert [(p, s, st) for p, s, st, *_ in steps] == [
        ("listing", 7, "propose"),
        ("listing", 7, "serve_notice"),
        ("repair", 3, "submit"),
        ("inspection", 5, "record_result"),
    ]
    assert json.loads(steps[1][5]) == {"n": 1}
    # 17:30 UTC on 30 November is 1 December in Xuancheng
    assert (str(steps[3][3]), steps[3][4]) == ("2026-12-01", "未发现问题")
    assert documents == [(41, "listing", 7, "宣市监信告〔2026〕1号")]
    assert items == [(5, "inspected", 2), (6, "drawn", 1)]
    assert not {"dishonesty_case_steps", "repair_steps", "dishonesty_case_documents"} & set(tables)
