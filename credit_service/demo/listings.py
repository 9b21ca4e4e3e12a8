"""The demo listings: a heavier IP penalty, then the listing procedure, every act on a
working day, played oldest first so each yearly number (告知书, 决定书, 移出决定书)
follows the dates; and one case in each state the procedure can stand in besides
published and removed, all newer than the published ones, so the console's case list
shows what an office has in hand on an ordinary day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.demo.days import on, workdays_after, workdays_before, working_days
from credit_service.demo.penalties import file_penalty
from credit_service.dishonesty import services as dishonesty

HEAVIER = ["罚款", "责令停产停业"]
PROPOSAL = "故意侵犯知识产权，受到责令停产停业的较重行政处罚"
WAIVED = "当事人书面放弃陈述、申辩"
# The cases in hand (state: the steps after the proposal, as (working days before today,
# step, details)), oldest proposal first; their proposals precede each list entry's.
IN_HAND: tuple[tuple[str, int, tuple[tuple[int, str, dict[str, Any]], ...]], ...] = (
    (
        "decided_not_list",
        20,
        (
            (19, "serve_notice", {}),
            (17, "receive_statement", {"reason": "当事人提交书面陈述、申辩意见及证据"}),
            (
                11,
                "decide_not_list",
                {"reason": "当事人提交的证据证明其不存在主观故意，依法不予列入"},
            ),
        ),
    ),
    ("decided_list", 16, ((15, "serve_notice", {}), (14, "waive", {}), (10, "decide_list", {}))),
    ("window_closed", 14, ((12, "serve_notice", {}), (5, "close_window", {}))),
    (
        "withdrawn",
        9,
        (
            (8, "serve_notice", {}),
            (6, "withdraw", {"reason": "拟列入所依据的事实需进一步核实，撤回本次拟列入"}),
        ),
    ),
    (
        "statement_received",
        6,
        (
            (5, "serve_notice", {}),
            (3, "receive_statement", {"reason": "当事人到本机关当面陈述、申辩，已制作笔录"}),
        ),
    ),
    ("notice_served", 4, ((3, "serve_notice", {}),)),
    ("proposed", 2, ()),
)
HISTORY = 1 + max(days for _, days, _ in IN_HAND)


def heavier_penalty(ctx: Context, actor: Actor, identifier: str, decided: date, n: int) -> int:
    """A heavier IP penalty decided (and filed) on ``decided``: what a listing rests on."""
    return file_penalty(
        ctx,
        actor,
        identifier,
        decided,
        CF_WSH=f"宣市监知罚字〔{decided.year}〕{n + 1}号",
        CF_SY="在产品及包装上标注他人专利号，情节严重",
        CF_CFLB=HEAVIER,
        CF_NR="罚款人民币二十万元，责令停产停业整顿一个月",
        CF_NR_FK="20",
    )


def published(ctx: Context, actor: Actor, identifier: str, decided: date, n: int) -> dict:
    """A listing decided on the working day ``decided`` and published two working days
    later; the party waives its statement the day after the notice, so the decision may
    follow before the window ends."""
    serve = workdays_before(ctx, decided, 8)
    proposed = workdays_before(ctx, serve, 2)
    record_id = heavier_penalty(ctx, actor, identifier, workdays_before(ctx, proposed, 5), n)
    case = dishonesty.propose(
        on(ctx, proposed), actor, entity=identifier, record_ids=[record_id], reason=PROPOSAL
    )
    waived = workdays_after(ctx, serve, 1)
    steps: tuple[tuple[date, str, dict[str, Any]], ...] = (
        (serve, "serve_notice", {}),
        (waived, "waive", _waiver(waived, n)),
        (decided, "decide_list", {}),
        (workdays_after(ctx, decided, 2), "publish", {}),
    )
    for day, step, details in steps:
        case = dishonesty.advance(on(ctx, day), actor, case["id"], step, **details)
    return case


def in_hand(ctx: Context, actor: Actor, identifiers: list[str], first: int) -> None:
    """One case in each state before publication (and the two ends that close a case
    without it), on the last working days up to today."""
    days = working_days(ctx, ctx.today(), HISTORY)
    for n, (identifier, (_, proposed, steps)) in enumerate(zip(identifiers, IN_HAND, strict=True)):
        day = days[-1 - proposed]
        record_id = heavier_penalty(ctx, actor, identifier, days[0], first + n)
        case = dishonesty.propose(
            on(ctx, day), actor, entity=identifier, record_ids=[record_id], reason=PROPOSAL
        )
        for ago, step, details in steps:
            taken = dict(details)
            if step == "waive":
                taken = _waiver(days[-1 - ago], first + n)
            dishonesty.advance(on(ctx, days[-1 - ago]), actor, case["id"], step, **taken)


def _waiver(received_on: date, n: int) -> dict[str, Any]:
    """The party's signed waiver of its statement and defence: the paper the ``waive``
    step must record (a decision inside the window rests on it)."""
    paper = {
        "title": "放弃陈述申辩权利声明书",
        "reference": f"宣市监收〔{received_on.year}〕{n + 1}号",
        "received_on": received_on,
    }
    return {"reason": WAIVED, "documents": [paper]}
