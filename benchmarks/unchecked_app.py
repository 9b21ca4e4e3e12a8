"""The service with a single credit check's own work taken out, for ``checks.py``'s
ceiling row (``unchecked_app:app``); never for serving anything.

The view answers a fixed "no restriction" from memory instead of reading the entity and
appending the audit row. Everything around the check stays: the token sign-in and its
read, the access rule, the request hooks, the argument parsing, the answer's encoding,
the request id and the metrics. Whatever this reaches is the most a real single check
can reach on this framework path: the check's own reads and its durable audit row only
add to it.
"""

from credit_service.dishonesty import checks
from wsgi import app  # noqa: F401  (gunicorn serves it)


def _fixed_answer(ctx, actor, identifier: str, purpose: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "checked_on": ctx.today(),
        "conclusion": "no_restriction",
        "dishonest_records": [],
        "entity": {"identifier": identifier, "kind": "organisation", "name": "基准测试",
                   "region_code": ctx.catalogs.city.code},
        "found": True,
        "identifier": identifier,
        "listed": False,
        "listing": None,
        "measures": [],
        "purpose": purpose,
        "purpose_name": ctx.catalogs.purposes[purpose],
    }  # fmt: skip


checks.credit_check = _fixed_answer
