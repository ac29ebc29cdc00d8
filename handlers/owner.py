"""The owner's private chat: /群 picks the group her private commands apply to; /日报 sets her daily digest;
/后台 gives her (and her admins and partners) a one-time login link to the pickup-day web page, always
privately; /后台 退出 logs out every browser; /后台 二维码 开|关 puts a pickup card with a QR of her code
on each buyer's pickup notice."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app.context import Context
from bot.app.groups import current_group, her_groups, listing, pick
from bot.app.jobs import schedule_digest
from bot.app.router import Answer, Router, refusal
from bot.app.scope import staff_scopes
from bot.parsing.textnorm import nfkc
from bot.render.templates import when

router = Router("owner", section="私聊与日报")

_TIME = re.compile(r"^(早上|上午|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：点时]\s*(\d{1,2})?\s*分?)?$")
_OFF = {"关", "关闭", "停", "停止", "取消", "off"}


@router.command("群", "groups", answer=Answer.OWNER, help="/群 私聊时列出你的群，/群 2 选定第2个群")
async def groups_command(ctx: Context, args: str) -> None:
    groups = await her_groups(ctx)
    if not groups:
        ctx.reply("你还不是任何群的团长或管理员。")
        return
    current = await current_group(ctx, groups)
    if not args.strip():
        hint = ("发 /群 2（或群名的一部分）选定一个群，之后私聊发的命令都用在这个群；"
                "也可以在命令后写群号，如 /汇总 2群。")
        ctx.reply("你的群：\n" + listing(groups, current.room_id if current else None) + "\n" + hint)
        return
    found = pick(groups, args)
    if isinstance(found, list):
        ctx.reply("有几个群都对得上，请写群号：\n" + listing(found, None))
        return
    if found is None:
        ctx.reply(f"没有找到「{args.strip()}」。你的群：\n" + listing(groups, current.room_id if current else None))
        return
    await ctx.svc.owner_prefs.set_focus(ctx.msg.sender.id, found.room_id, ctx.now)
    ctx.reply(f"✅ 已选定 {found.number}. {found.topic}：之后私聊发的命令都用在这个群。")


def parse_clock(text: str) -> str | None:
    """'21:00', '21点', '晚上9点', '9点半' -> 'HH:MM'."""
    text = nfkc(text).strip().replace("半", ":30")
    m = _TIME.match(text)
    if m is None:
        return None
    hour, minute = int(m.group(2)), int(m.group(3) or 0)
    if m.group(1) in ("下午", "晚上") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


@router.command("日报", "digest", answer=Answer.OWNER, help="/日报 21:00 每天私聊发日报，/日报 关 停止")
async def digest_command(ctx: Context, args: str) -> None:
    me = ctx.msg.sender.id
    if not await ctx.svc.rooms.administered_by(me):
        ctx.reply("抱歉，/日报 只有团长和管理员可以使用。")
        return
    words = args.strip()
    if not words:
        at = await ctx.svc.owner_prefs.digest_at(me)
        state = f"每天 {at} 私聊发给你" if at else "没有开"
        ctx.reply(f"日报{state}。发 /日报 21:00 设定时间，/日报 关 停止。日报有各群今天的订单、待确认的行和未付款。")
        return
    if words.lower() in _OFF:
        await ctx.svc.owner_prefs.set_digest(me, None, ctx.now)
        await schedule_digest(ctx.svc, me, None, ctx.now)
        ctx.deadlines_changed = True
        ctx.reply("已关闭日报。")
        return
    hhmm = parse_clock(words)
    if hhmm is None:
        ctx.reply("用法：/日报 21:00（每天这个时间私聊发日报），/日报 关")
        return
    await ctx.svc.owner_prefs.set_digest(me, hhmm, ctx.now)
    first = await schedule_digest(ctx.svc, me, hhmm, ctx.now)
    ctx.deadlines_changed = True
    assert first is not None
    ctx.reply(f"✅ 每天 {hhmm} 私聊发日报，第一份在 {when(first)}。")


# -- /后台: the pickup-day web page (bot/web/) ---------------------------------------------

LINK_VALID = timedelta(minutes=10)  # the page checks the same (bot/web/server.py)
_LOGOUT = ("退出", "登出", "logout")
_QR = ("二维码", "qr")


@router.command("后台", "web", answer=Answer.OWNER, help="/后台 手机网页：取货核销、看板、图表（/后台 退出）")
async def web_command(ctx: Context, args: str) -> None:
    sender = ctx.msg.sender.id
    # About her, not one group: her scope in every business she is staff in (the one rule).
    scopes = await staff_scopes(ctx)
    if not scopes:
        # Like any owner command's refusal: where she typed it, and no figure in it.
        ctx.answer_private = False
        ctx.reply(refusal("后台"), mention_sender=True)
        return
    words = args.split()
    if words and words[0] in _LOGOUT:
        ended = await ctx.svc.web.end_all(sender, ctx.now)
        ctx.reply(f"已退出网页后台：{ended}个浏览器的登录已失效，没用过的登录链接也作废了。" if ended
                  else "网页后台没有登录中的浏览器；没用过的登录链接已作废。")
        return
    if words and words[0] in _QR:
        await _qr_cards(ctx, words[1:], [room for scope in scopes if scope.is_owner for room in scope.groups])
        return
    base = ctx.svc.settings.web_url
    if base is None:
        ctx.reply("网页后台没有开启：启动机器人时加 --web 0.0.0.0:8080（见 README「取货网页」）。")
        return
    token = ctx.svc.web.add_link(sender, ctx.now, LINK_VALID)
    ctx.reply(f"🔐 网页后台登录链接（10分钟内有效，只能用一次，别转发）：\n{base}/login/{token}\n"
              "打开后点「进入」。用完或手机丢了：发 /后台 退出。")


async def _qr_cards(ctx: Context, words: list[str], owned: list[str]) -> None:
    """The pickup cards of every group she owns: the owner's choice, like her templates."""
    if not owned:
        ctx.reply("取货码二维码只有群主可以开关。")
        return
    if not words or words[0] not in ("开", "关", "on", "off"):
        states = ["开" if await ctx.svc.web.qr_cards(room) else "关" for room in owned]
        ctx.reply(f"取货码二维码：{'、'.join(sorted(set(states)))}。发 /后台 二维码 开：到货通知里每人附一个"
                  "取货卡链接，卡上有她取货码的二维码，你用手机扫一下就打开她的核销。")
        return
    on = words[0] in ("开", "on")
    for room in owned:
        ctx.svc.web.set_qr_cards(room, on)
    if on and ctx.svc.settings.web_url is None:
        ctx.reply("已打开取货码二维码；网页后台没有开启（启动时加 --web），开启后的到货通知才会附取货卡。")
        return
    ctx.reply("已打开取货码二维码：之后的到货通知里，每人附一个取货卡链接。" if on
              else "已关闭取货码二维码：到货通知不再附取货卡链接。")
