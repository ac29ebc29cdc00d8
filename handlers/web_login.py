"""/后台: the pickup-day web page's login link, always privately; /后台 退出 logs out every browser;
/后台 二维码 开|关 puts a pickup card with a QR of her code on each buyer's pickup notice."""

from __future__ import annotations

from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Answer, Router, refusal

router = Router("web", section="网页后台")

LINK_VALID = timedelta(minutes=10)  # the page checks the same (bot/web/server.py)
_OFF = ("退出", "登出", "logout")
_QR = ("二维码", "qr")


@router.command("后台", "web", answer=Answer.OWNER, help="/后台 手机网页：取货核销、看板、图表（/后台 退出）")
async def web_command(ctx: Context, args: str) -> None:
    sender = ctx.msg.sender.id
    groups = await ctx.svc.rooms.administered_by(sender)
    if not groups:
        # Like any owner command's refusal: where she typed it, and no figure in it.
        ctx.answer_private = False
        ctx.reply(refusal("后台"), mention_sender=True)
        return
    words = args.split()
    if words and words[0] in _OFF:
        ended = await ctx.svc.web.end_all(sender, ctx.now)
        ctx.reply(f"已退出网页后台：{ended}个浏览器的登录已失效，没用过的登录链接也作废了。" if ended
                  else "网页后台没有登录中的浏览器；没用过的登录链接已作废。")
        return
    if words and words[0] in _QR:
        await _qr_cards(ctx, words[1:], [room for room, _ in groups])
        return
    base = ctx.svc.settings.web_url
    if base is None:
        ctx.reply("网页后台没有开启：启动机器人时加 --web 0.0.0.0:8080（见 README「取货网页」）。")
        return
    token = ctx.svc.web.add_link(sender, ctx.now, LINK_VALID)
    ctx.reply(f"🔐 网页后台登录链接（10分钟内有效，只能用一次，别转发）：\n{base}/login/{token}\n"
              "打开后点「进入」。用完或手机丢了：发 /后台 退出。")


async def _qr_cards(ctx: Context, words: list[str], rooms: list[str]) -> None:
    owned = [room for room in rooms if await ctx.svc.rooms.owner(room) == ctx.msg.sender.id]
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
