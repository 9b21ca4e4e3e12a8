"""What the notifications say: each kind's subject and body in Chinese, rendered when the
message is made (a message is a note of the office, written here like the notices'
words in the areas that issue them; the pages' own words are in the locales).

``render(kind, **facts)`` fills a kind's words; dates arrive already written the Chinese
way (2026年12月11日).
"""

from __future__ import annotations

from typing import Any

LOGIN_HINT = "请登录信用监管服务的企业服务页面，在“消息”中查看详情。"

# kind -> (subject, body); a body's fields come from the fact (``render``).
WORDS: dict[str, tuple[str, str]] = {
    "binding.approved": (
        "企业账号绑定已通过审核",
        "您的账号 {username} 与企业的绑定已于{on}审核通过，现在可以登录使用企业服务。",
    ),
    "binding.refused": (
        "企业账号绑定未通过审核",
        "您的账号 {username} 与企业的绑定于{on}未通过审核。理由：{reason}",
    ),
    "repair.accept": (
        "信用修复申请已受理",
        "您的信用修复申请（第{object_id}号）已于{on}受理，本机关将于{due_on}前作出决定。",
    ),
    "repair.not_accept": (
        "信用修复申请不予受理",
        "您的信用修复申请（第{object_id}号）于{on}决定不予受理。理由：{what}",
    ),
    "repair.request_supplement": (
        "信用修复申请需要补正材料",
        "您的信用修复申请（第{object_id}号）于{on}被要求补正材料：{what}。"
        "请于{due_on}前补正。材料上传后，请在申请页面告知已补正，审查期限自告知之日起继续计算；"
        "逾期未补正的，本机关可以据此作出不予受理或不予修复的决定。",
    ),
    "repair.refuse": (
        "信用修复申请未获准",
        "您的信用修复申请（第{object_id}号）于{on}决定不予修复。理由：{what}",
    ),
    "repair.granted": (
        "信用修复申请已获准",
        "您的信用修复申请（第{object_id}号）已于{on}获准，相关{target}已停止公示。",
    ),
    "objection.accepted": (
        "异议已受理",
        "您提出的异议（第{object_id}号）已于{on}受理，处理期间相关信息标注“异议处理中”。",
    ),
    "objection.request_supplement": (
        "异议需要补正材料",
        "您提出的异议（第{object_id}号）于{on}被要求补正材料：{what}。"
        "请于{due_on}前补正。材料提交后，处理期限继续计算；逾期未补正的，本机关可以据此作出处理。",
    ),
    "objection.extend": (
        "异议处理期限延长",
        "您提出的异议（第{object_id}号）的处理期限于{on}延长至{due_on}。理由：{what}",
    ),
    "objection.decided": (
        "异议处理结果",
        "您提出的异议（第{object_id}号）已于{on}处理完毕：{outcome}。"
        "处理结果告知书可在异议页面查看和下载。",
    ),
    "objection.refused": (
        "异议不予受理",
        "您提出的异议（第{object_id}号）于{on}决定不予受理。不予受理通知书可在异议页面查看。",
    ),
    "listing.added": (
        "列入严重失信主体名单",
        "自{on}起，您（单位）被列入严重失信主体名单。{reason}",
    ),
    "listing.removed": (
        "移出严重失信主体名单",
        "自{on}起，您（单位）已移出严重失信主体名单。{reason}",
    ),
    "digest": (
        "今日到期事项（{on}）",
        "截至{on}，您负责范围内已逾期或即将到期的事项如下：\n\n{lines}",
    ),
}

OUTCOMES = {
    "upheld": "异议成立",
    "partly_upheld": "异议部分成立",
    "not_upheld": "异议不成立",
}
TARGETS = {"record": "信用记录", "listing": "严重失信主体名单信息"}
DIGEST_KINDS = {"repair": "信用修复申请", "objection": "异议"}
# flag -> (what the date is, what it means)
DIGEST_FLAGS = {
    "overdue": ("期限", "已逾期"),
    "soon": ("期限", "即将到期"),
    "supplement_late": ("补正期限", "逾期未补正，可依法作出决定"),
}


def render(kind: str, **facts: Any) -> tuple[str, str]:
    """The subject and body of a message of ``kind``."""
    subject, body = WORDS[kind]
    return subject.format(**facts), body.format(**facts)


def email_body(body: str) -> str:
    """An e-mail says what the message says, and where to read it."""
    return f"{body}\n\n{LOGIN_HINT}"


def digest_line(procedure: str, item: dict[str, Any], flag: str, due: str) -> str:
    """One line of a regulator's digest: what, whose, due when, late or near (or the
    party's materials late)."""
    name = (item.get("entity") or {}).get("name", "")
    label, meaning = DIGEST_FLAGS[flag]
    return f"- {DIGEST_KINDS[procedure]}第{item['id']}号 {name}：{label}{due}，{meaning}"
