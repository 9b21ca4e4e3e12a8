"""Demo repair applications (D7, D10): a listing repaired early, two waiting in the
regulators' queue, and one record repair in each state an application ends or waits in
besides (not accepted, refused, waiting for materials, revoked for false materials),
every act on a working day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.demo.days import on, workday_on_or_before, workdays_after, working_days
from credit_service.demo.penalties import file_penalty
from credit_service.repair import services as repair

# State: the steps after the application, as (working days before today, step, reason),
# the application itself filed ``FILED`` working days before today.
FILED = 12
RECORD_STORIES: tuple[tuple[str, tuple[tuple[int, str, str], ...]], ...] = (
    ("not_accepted", ((11, "not_accept", "申请修复的处罚信息不属于本机关公示的信息，不予受理"),)),
    (
        "refused",
        (
            (11, "accept", ""),
            (6, "refuse", "经核查，申请人尚未缴清罚款，未履行行政处罚决定规定的义务"),
        ),
    ),
    (
        "revoked",
        (
            (11, "accept", ""),
            (9, "grant", "材料齐全，符合停止公示条件"),
            (3, "revoke", "经核查，申请人提交的缴款凭证系伪造，以虚假材料获得信用修复"),
        ),
    ),
    (
        "supplement_requested",
        ((10, "accept", ""), (4, "request_supplement", "请补充提交罚款缴纳凭证原件扫描件")),
    ),
)


def application(ctx: Context, clerk: Actor, target: str) -> dict[str, Any]:
    view, _ = repair.apply(
        ctx,
        clerk,
        target=target,
        reason="已全面履行行政处罚决定，纠正违法行为并消除不良影响，申请信用修复",
        measures_taken="缴清罚款；下架并销毁涉案产品；建立知识产权合规审查制度并开展培训",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="经办人 0563-0000000",
    )
    return view


def repaired_listing(ctx: Context, actor: Actor, clerk: Actor, case: dict, today: date) -> None:
    """The oldest listing: repaired after its first year, removed early."""
    applied = workday_on_or_before(ctx, today - timedelta(days=30))
    applied_for = application(on(ctx, applied), clerk, f"listing:{case['id']}")
    accepted, granted = workdays_after(ctx, applied, 1), workdays_after(ctx, applied, 4)
    repair.review(on(ctx, accepted), actor, applied_for["id"], "accept")
    repair.review(
        on(ctx, granted),
        actor,
        applied_for["id"],
        "grant",
        reason="已履行义务、消除不良影响，符合提前移出条件",
    )


def queued(ctx: Context, actor: Actor, waiting: list[tuple[Actor, dict]], today: date) -> None:
    """Two applications waiting for regulators: one to accept, one to decide."""
    days = working_days(ctx, today - timedelta(days=1), 3)
    for n, (clerk, case) in enumerate(waiting):
        submitted = days[-1 - 2 * n]
        applied_for = application(on(ctx, submitted), clerk, f"listing:{case['id']}")
        if n:
            repair.review(on(ctx, days[-2]), actor, applied_for["id"], "accept")


def record_repairs(ctx: Context, actor: Actor, parties: list[tuple[Actor, str]]) -> None:
    """One record repair in each state of ``RECORD_STORIES``, each on its own party's
    general penalty (a fine, repairable three months after its decision)."""
    days = working_days(ctx, ctx.today(), FILED + 1)
    decided = workday_on_or_before(ctx, ctx.today() - timedelta(days=150))
    for n, ((clerk, identifier), (_, steps)) in enumerate(
        zip(parties, RECORD_STORIES, strict=True)
    ):
        record_id = _fine(ctx, actor, identifier, decided, n)
        applied_for = application(on(ctx, days[0]), clerk, f"record:{record_id}")
        for ago, step, reason in steps:
            repair.review(on(ctx, days[-1 - ago]), actor, applied_for["id"], step, reason=reason)


def _fine(ctx: Context, actor: Actor, identifier: str, decided: date, n: int) -> int:
    return file_penalty(
        ctx,
        actor,
        identifier,
        decided,
        CF_WSH=f"宣区市监罚〔{decided.year}〕{201 + n}号",
        CF_SY="在产品宣传册上标注他人专利号",
        CF_CFLB=["罚款"],
        CF_NR="罚款人民币二万元",
        CF_NR_FK="2",
        CF_CFJG="宣城市宣州区市场监督管理局",
    )
