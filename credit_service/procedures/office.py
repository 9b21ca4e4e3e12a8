"""The office as its documents name it: where it sits, how it is reached, when it is open,
and the bodies that review its decisions with their time limits.

The facts are settings (the ``office`` section of catalogs/dishonesty.yaml); this module
holds them and writes the sentences every document of every procedure repeats (a listing
notice, a listing or removal decision, an objection notice), so the contact, the way to
file a defence and the review rights read the same in all of them. Pure: no database (the
rules files' loaders build it), so dates come in written already (``chinese_date``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewRight:
    """A way to contest a decision: the body that hears it and its time limit (days for
    行政复议, months for 行政诉讼, counted from the day the party learns of it)."""

    body: str
    days: int | None = None
    months: int | None = None

    def limit(self) -> str:
        return f"{self.days}日" if self.days else f"{self.months}个月"


@dataclass(frozen=True)
class Office:
    """The office that issues the documents and receives what the parties file."""

    name: str
    department: str
    address: str
    postcode: str
    phone: str
    hours: str
    reconsideration: ReviewRight
    litigation: ReviewRight


def contact_sentence(office: Office) -> str:
    """Where and how a party reaches the office (the last paragraph of every document)."""
    return (
        f"联系部门：{office.name}{office.department}；地址：{office.address}"
        f"（邮政编码{office.postcode}）；联系电话：{office.phone}；"
        f"办公时间：{office.hours}。"
    )


def defence_method(office: Office, deadline: str) -> str:
    """How, where and by when (a date as documents write it) a party files its statement
    and defence (陈述、申辩)."""
    return (
        f"陈述、申辩意见应当于{deadline}（含当日）前提出，可以书面形式邮寄或者"
        f"送交本机关{office.department}（{office.address}，邮政编码{office.postcode}），"
        f"以邮寄方式提出的，以寄出邮戳日期为准；也可以在办公时间（{office.hours}）"
        f"到上述地址当面陈述、申辩，由本机关制作笔录。"
    )


def review_rights_sentence(office: Office) -> str:
    """The review rights a decision names in full: each body and its time limit."""
    reconsideration, litigation = office.reconsideration, office.litigation
    return (
        f"如不服本决定，可以自知道之日起{reconsideration.limit()}内向{reconsideration.body}"
        f"申请行政复议，或者自知道之日起{litigation.limit()}内向{litigation.body}"
        f"提起行政诉讼。"
    )
