"""/导出: the owner's workbook for the group's latest campaign.

Our transports cannot send files, so the bot writes the workbook next to its
database and says where. It holds members' phone numbers, so only the path is
posted, never the contents.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router
from bot.render.xlsx_export import write_exports

router = Router("exports")


@router.command("导出", "export", admin_only=True, help="/导出 采购单、分拣单、对账表")
async def export_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None:
        ctx.reply("本群还没有开过团。")
        return
    path = await write_exports(ctx.svc.db, campaign.id, ctx.svc.settings.export_dir, ctx.now)
    ctx.reply(f"📁 「{campaign.title}」已导出（采购单、分拣单、团员对账、订单明细）：\n{path}")
