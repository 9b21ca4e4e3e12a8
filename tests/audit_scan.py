"""Scan the audit trail for full resident ID numbers (docs/security.md, *Audit trail*).

Written without the service's own masking code, so the scan checks the rows rather than
agreeing with the function that wrote them: every 18-character run of digits (a final
X allowed) standing on its own, in every text column and anywhere in the details, that
``credit_service.identifiers`` accepts as a resident ID.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Connection, select

from credit_service.audit.models import AuditEvent
from credit_service.identifiers import is_valid_resident_id

_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_TEXT_COLUMNS = ("actor", "role", "source_ip", "action", "object_type", "object_id", "outcome")


def resident_ids_in_audit(connection: Connection) -> list[tuple[int, str, str]]:
    """(seq, column, number) for every full resident ID the audit rows hold."""
    found = []
    for row in connection.execute(select(AuditEvent.__table__)).mappings():
        texts = {column: row[column] or "" for column in _TEXT_COLUMNS}
        texts["details"] = json.dumps(row["details"], ensure_ascii=False)
        for column, text in texts.items():
            found.extend(
                (row["seq"], column, number)
                for number in _RUN.findall(text)
                if is_valid_resident_id(number.upper())
            )
    return found
