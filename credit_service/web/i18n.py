"""User-facing strings of the pages, kept in one place so another language can be added."""

from __future__ import annotations

DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "site.name": "宣城市知识产权信用监管服务",
        "site.footer": "宣城市市场监督管理局（宣城市知识产权局）",
        "nav.home": "首页",
        "nav.console": "监管工作台",
        "nav.sign_in": "登录",
        "nav.sign_out": "退出登录",
        "nav.password": "修改密码",
        "nav.register": "企业账号注册",
        "sign_in.title": "用户登录",
        "sign_in.username": "用户名",
        "sign_in.password": "密码",
        "sign_in.submit": "登录",
        "sign_in.failed": "用户名或密码错误，或账号已锁定。连续失败多次后账号将被临时锁定。",
        "sign_in.expired": "您的密码已过期，请先修改密码。",
        "sign_in.signed_out": "您已安全退出。",
        "password.title": "修改密码",
        "password.current": "当前密码",
        "password.new": "新密码",
        "password.repeat": "再次输入新密码",
        "password.mismatch": "两次输入的新密码不一致。",
        "password.changed": "密码已修改，请重新登录。",
        "password.rules.MLPS": (
            "至少8位，包含大写字母、小写字母、数字、符号中的至少3类，不得与最近5次密码相同。"
        ),
        "password.rules.ASVS": "至少12位，可使用任意字符（建议使用易记的长句），不得使用常见密码。",
        "register.title": "企业账号注册",
        "register.uscc": "统一社会信用代码",
        "register.display_name": "企业名称",
        "register.contact": "联系人及电话",
        "register.activation_code": "激活码（如有）",
        "register.hint": "未填写激活码的账号需经辖区监管部门审核绑定后方可使用。",
        "register.done_pending": "注册成功，等待监管部门审核绑定。",
        "register.done_active": "注册成功，账号已激活，请登录。",
        "console.title": "监管工作台",
        "console.signed_in_as": "当前用户",
        "domain.patent": "专利",
        "domain.trademark": "商标",
        "domain.geographical_indication": "地理标志",
        "form.error": "请修改标出的内容后重新提交。",
        "form.csrf": "页面已失效，请刷新后重新提交。",
    },
}


def translate(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The text for ``key``; the key itself when missing, so a gap shows instead of failing."""
    return MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE]).get(key, key)
