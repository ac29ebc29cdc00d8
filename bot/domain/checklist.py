"""The owner's check list as she hears of it: one private message for everything one message sent
there, however many lines that is (pure). A 1,300-line copy was 1,300 private messages: an hour of the
account's sending, and WeChat's limits for everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_SHOWN = 20  # entries written out; the rest are counted, and /待确认 lists them all

# (number on the list, who, the line as written, why it needs her)
Check = tuple[int, str, str, str]


def checks_text(title: str, checks: Sequence[Check]) -> str:
    """What the owner is told of the entries one message added to her check list."""
    if len(checks) == 1:
        number, who, line, reason = checks[0]
        return (f"📝 待确认 #{number}（{title}）{who}：{line}（{reason}）\n"
                f"记下：/确认 {number} 商品数量；不用管：/忽略 {number}")
    lines = [f"#{number} {who}：{line[:60]}（{reason}）" for number, who, line, reason in checks[:MAX_SHOWN]]
    more = [f"……还有{len(checks) - MAX_SHOWN}条，发 /待确认 查看全部"] if len(checks) > MAX_SHOWN else []
    return "\n".join([f"📝 待确认 {len(checks)}条（{title}）：", *lines, *more,
                      "记下：/确认 N 商品数量；不用管：/忽略 N"])
