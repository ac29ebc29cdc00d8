"""/导出: the owner's workbook for the group's latest campaign, sent to her as a file in her private chat.

The workbook holds members' phone numbers and the commission, so it goes only
to whoever asked, privately. Building it takes seconds on a big campaign: it is
made after the commit, off the message pipeline, and sent when ready.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.scope import runs_whole_drop
from bot.models import Attachment, Outgoing
from bot.render.xlsx_export import write_exports

router = Router("exports", section="统计与导出")


@router.command("导出", "export", admin_only=True, whole_drop=True,
                help="/导出 采购单、分拣单、对账表（Excel 文件私聊发给你）")
async def export_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None:
        ctx.reply("本群还没有开过团。")
        return
    if not await runs_whole_drop(ctx.svc.campaigns, ctx.scope, campaign):
        ctx.reply(f"「{campaign.title}」在几个群一起进行，表格含所有群的订单和金额，请找团长导出。")
        return
    db, folder, now, to = ctx.svc.db, ctx.svc.export_folder(), ctx.now, ctx.msg.sender.id
    # An admin's or partner's workbook leaves out the owner's commission and other partners' shares.
    seen_by = None if ctx.scope.sees_owner_figures else to

    async def build() -> list[Outgoing]:
        path = await write_exports(db, campaign.id, folder, now, seen_by)
        return [Outgoing(text=f"📁 「{campaign.title}」的表格（采购单、分拣单、团员对账、订单明细）：", to=to,
                         file=Attachment(path.name, path=path))]

    ctx.defer(build)
