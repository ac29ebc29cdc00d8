"""Opening, closing and totalling a campaign: /开团, #接龙 drops, /截单, /汇总."""

from __future__ import annotations

from bot.app.context import Context
from bot.app.groups import drop_groups, group_deadlines
from bot.app.router import OPEN_CAMPAIGN, Chat, Role, Router
from bot.domain.lifecycle import (
    announcement,
    close_campaign,
    open_campaign,
    open_drop,
    prices_text,
    spec_problems,
    summary_for,
)
from bot.domain.scope import runs_whole_drop
from bot.parsing.campaign_spec import CampaignSpec, parse_jielong_drop, parse_open_command
from bot.parsing.jielong import parse_copy
from bot.render.templates import when
from storage.records import Campaign

router = Router("campaigns", section="开团与汇总")


async def _open(ctx: Context, spec: CampaignSpec, header: str) -> Campaign | None:
    campaign, why = await open_campaign(ctx.svc, ctx.room_id, spec, ctx.msg.sender.id, ctx.now, header)
    if campaign is None:
        ctx.reply(why)
        return None
    ctx.deadlines_changed = True
    return campaign


@router.command("开团", "open", admin_only=True, many_groups=True,
                help="/开团 标题 + 每行一个商品；加一行「群 1群 2群」或「群 全部」同时在几个群开同一个团")
async def open_command(ctx: Context, args: str) -> None:
    drop = await drop_groups(ctx, args)
    if isinstance(drop, str):
        ctx.reply(drop)
        return
    deadlines = group_deadlines(drop, ctx.now)
    if isinstance(deadlines, str):
        ctx.reply(f"没有开团：{deadlines}。")
        return
    rooms, pickups, (closes, body) = drop.rooms, drop.pickups, deadlines
    spec = parse_open_command(body, ctx.now)
    if len(rooms) == 1 and not pickups and not closes:
        if rooms[0] != ctx.room_id:
            ctx.group_id = rooms[0]
        campaign = await _open(ctx, spec, header="")
        if campaign is not None:
            ctx.replies.extend(await announcement(ctx.svc, campaign))
            if spec_problems(spec):
                ctx.reply_private(f"✅ 已开团「{campaign.title}」。\n{spec_problems(spec)}")
        return
    parts, why = await open_drop(ctx.svc, rooms, spec, ctx.msg.sender.id, ctx.now, pickups=pickups, closes=closes)
    if not parts:
        ctx.reply(why)
        return
    ctx.deadlines_changed = True
    for part in parts:
        ctx.replies.extend(await announcement(ctx.svc, part))
    topics = [await ctx.svc.rooms.topic(p.room_id) or p.room_id for p in parts]
    problems = f"\n{spec_problems(spec)}" if spec_problems(spec) else ""
    ctx.reply_private(f"✅ 已在{len(parts)}个群开团「{parts[0].title}」：{'、'.join(topics)}。"
                      "限量和限购是各群共用的；/汇总 看全部和各群的数量，/截单 在所有群一起截单。" + problems)


@router.matcher(priority=10, chat=Chat.GROUP, role=Role.ADMIN)
async def jielong_drop(ctx: Context) -> bool:
    """An admin's #接龙 post opens a campaign when none is open in the group."""
    if not ctx.text.lstrip().startswith(("#接龙", "＃接龙")):
        return False
    if await ctx.svc.campaigns.open_in(ctx.room_id) is not None:
        return False
    copy = parse_copy(ctx.text)
    if copy is None:
        return False
    spec = parse_jielong_drop(copy, ctx.now)
    campaign = await _open(ctx, spec, header="\n".join(copy.header))
    if campaign is None:
        return True
    products = await ctx.svc.campaigns.products(campaign.id)
    deadline = f"，{when(campaign.close_at)} 截单" if campaign.close_at else ""
    ctx.reply(f"✅ 已开团「{campaign.title}」：{prices_text(products)}{deadline}。大家复制接龙加上自己的一行即可。")
    # The owner's own post may already carry entries; they count like any copy.
    return not copy.entries


@router.command("截单", "close", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/截单 现在截单（群里发截单通知，金额和佣金私聊给团长）")
async def close_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    assert campaign is not None  # OPEN_CAMPAIGN
    if not await runs_whole_drop(ctx.svc.campaigns, ctx.scope, campaign):
        ctx.reply(f"「{campaign.title}」在几个群一起进行，截单会截所有群，请团长来截单。")
        return
    ctx.replies.extend(await close_campaign(ctx.svc, campaign, ctx.now, closed_by=ctx.scope))
    ctx.deadlines_changed = True


@router.command("汇总", "summary", "统计订单", admin_only=True, whole_drop=True,
                help="/汇总 数量、金额、佣金和待确认的行（私聊给你）")
async def summary_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id) or await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None:
        ctx.reply("本群还没有开过团。")
        return
    ctx.reply(await summary_for(ctx.svc, campaign, ctx.scope))
