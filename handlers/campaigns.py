"""Opening, changing, closing and totalling a campaign: /开团, #接龙 drops, /截单, /汇总; and changing a
running drop from her private chat or the group (/延长 /重新开团 /加库存 /限量 /改价 /加商品 /下架, the
`changes` router): each is one message, applied to every group of the drop at once, answered in one line
and announced in each affected group in one line (bot/domain/changes.py does the work)."""

from __future__ import annotations

import re

from bot.app.context import Ack, Context
from bot.app.groups import drop_groups, group_deadlines
from bot.app.router import OPEN_CAMPAIGN, Chat, Role, Router
from bot.domain.changes import (
    Change,
    add_product,
    add_stock,
    future_time,
    named_products,
    reopen,
    set_deadline,
    set_price,
    set_stock,
    withdraw,
)
from bot.domain.lifecycle import (
    announcement,
    close_campaign,
    open_campaign,
    open_drop,
    prices_text,
    spec_problems,
    summary_for,
)
from bot.domain.money.ledger import BadAmount, parse_amount
from bot.domain.orderbook import catalog_of
from bot.domain.scope import runs_whole_drop
from bot.parsing.campaign_spec import (
    OPEN_LINES,
    CampaignSpec,
    parse_jielong_drop,
    parse_open_command,
    parse_product_line,
)
from bot.parsing.catalog import name_key
from bot.parsing.jielong import parse_copy
from bot.parsing.quantity import to_int
from bot.parsing.textnorm import nfkc
from bot.render.templates import when
from storage.records import Campaign, Product

router = Router("campaigns", section="开团、截单与汇总")
changes = Router("changes", section="改团（进行中）")


async def _open(ctx: Context, spec: CampaignSpec, header: str) -> Campaign | None:
    campaign, why = await open_campaign(ctx.svc, ctx.room_id, spec, ctx.msg.sender.id, ctx.now, header)
    if campaign is None:
        ctx.reply(why)
        return None
    ctx.deadlines_changed = True
    return campaign


@router.command("开团", "open", admin_only=True, many_groups=True, guide=OPEN_LINES,
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


_NOW = ("现在", "马上", "立即", "立刻", "now")


@router.command("截单", "close", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/截单 现在截单（群里发截单通知，金额和佣金私聊给团长）；/截单 12-11 20:00 改截单时间")
async def close_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    assert campaign is not None  # OPEN_CAMPAIGN
    if not await runs_whole_drop(ctx.svc.campaigns, ctx.scope, campaign):
        ctx.reply(f"「{campaign.title}」在几个群一起进行，截单会截所有群，请团长来截单。")
        return
    if args.strip() and nfkc(args).strip().lower() not in _NOW:
        # "/截单 12-11 20:00" sets the deadline (as /延长 does): a time is never a close now.
        at = future_time(args, ctx.now)
        if isinstance(at, str):
            ctx.reply(f"没有截单，也没有改截单时间：{at}现在截单只发 /截单。")
            return
        apply(ctx, await set_deadline(ctx.svc, campaign, at, ctx.msg.sender.id, ctx.now))
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


# -- changing a running drop ----------------------------------------------------------

_EVERYONE = ("全部", "所有", "都改", "全改")
_NO_LIMIT = ("不限", "不限量", "取消", "无限")


def apply(ctx: Context, change: Change | str) -> None:
    """Says what a change did: her line, each group's line, each member's (gathered with her acks)."""
    if isinstance(change, str):
        ctx.reply(change)
        return
    ctx.reply(change.reply)
    ctx.replies.extend(change.posts)
    ctx.acks.extend(Ack(t.room_id, t.member_id, t.name, t.text, urgent=t.urgent) for t in change.told)
    ctx.deadlines_changed = ctx.deadlines_changed or change.deadlines_changed


async def _whole_drop(ctx: Context, campaign: Campaign) -> bool:
    """A change reaches every group of the drop: only someone who runs all of them may make it."""
    if await runs_whole_drop(ctx.svc.campaigns, ctx.scope, campaign):
        return True
    ctx.reply(f"「{campaign.title}」在几个群一起进行，改团会改所有群，请团长来改。")
    return False


async def _running(ctx: Context) -> Campaign | None:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    assert campaign is not None  # OPEN_CAMPAIGN
    return campaign if await _whole_drop(ctx, campaign) else None


@changes.command("延长", "extend", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/延长 12-11 20:00 改截单时间（/截单 12-11 20:00 也一样；只发 /截单 是现在截单）")
async def extend_command(ctx: Context, args: str) -> None:
    if not args.strip():
        ctx.reply("用法：/延长 12-11 20:00（改成这个时间截单，各群会收到一条通知）")
        return
    campaign = await _running(ctx)
    if campaign is None:
        return
    at = future_time(args, ctx.now)
    apply(ctx, f"没有改截单时间：{at}" if isinstance(at, str) else
          await set_deadline(ctx.svc, campaign, at, ctx.msg.sender.id, ctx.now))


@changes.command("重新开团", "reopen", admin_only=True, whole_drop=True,
                help="/重新开团 [12-12 20:00] 截单后接着卖（到货前都可以），可以带新的截单时间")
async def reopen_command(ctx: Context, args: str) -> None:
    campaign = await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None:
        ctx.reply("本群还没有开过团。")
        return
    if campaign.is_open:
        ctx.reply(f"「{campaign.title}」还在进行中，不用重新开团。改截单时间：/延长 12-11 20:00")
        return
    if any(p.arrived_at is not None for p in await ctx.svc.campaigns.parts(campaign)):
        ctx.reply(f"「{campaign.title}」已经发了到货通知，不能重新开团了；要再卖请 /开团 开新团。")
        return
    if not await _whole_drop(ctx, campaign):
        return
    at = None
    if args.strip():
        found = future_time(args, ctx.now)
        if isinstance(found, str):
            ctx.reply(f"没有重新开团：{found}")
            return
        at = found
    apply(ctx, await reopen(ctx.svc, campaign, at, ctx.msg.sender.id, ctx.now))


async def _product_and_rest(ctx: Context, campaign: Campaign, args: str, usage: str) -> tuple[Product, str] | None:
    """"草莓 10" → (草莓, "10"): the one product named first, and the words after it."""
    words = nfkc(args).split()
    if len(words) < 2:
        ctx.reply(usage)
        return None
    products = await ctx.svc.campaigns.products(campaign.id)
    named = named_products([p for p in products if not p.withdrawn], " ".join(words[:-1]))
    if isinstance(named, str):
        ctx.reply(named)
        return None
    if len(named) > 1:
        ctx.reply(f"一次改一个商品。{usage}")
        return None
    return named[0], words[-1]


def _count(word: str) -> int | None:
    """"10盒", "10" → 10: a stock count, with or without its unit."""
    return to_int(word.rstrip("盒箱份个袋斤件"))


@changes.command("加库存", "restock", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/加库存 草莓 10 限量再加10（候补的先补上）")
async def restock_command(ctx: Context, args: str) -> None:
    campaign = await _running(ctx)
    if campaign is None:
        return
    usage = "用法：/加库存 草莓 10（草莓的限量再加10，候补的先补上）"
    found = await _product_and_rest(ctx, campaign, args, usage)
    if found is None:
        return
    product, word = found
    more = _count(word)
    if more is None:
        ctx.reply(f"没看懂数量「{word}」。{usage}")
        return
    apply(ctx, await add_stock(ctx.svc, campaign, product, more, ctx.msg.id, ctx.now))


@changes.command("限量", "stock", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/限量 草莓 40 把限量改成40（/限量 草莓 不限 取消限量）")
async def stock_command(ctx: Context, args: str) -> None:
    campaign = await _running(ctx)
    if campaign is None:
        return
    usage = "用法：/限量 草莓 40（限量改成40，不能少于已订出的）；/限量 草莓 不限"
    found = await _product_and_rest(ctx, campaign, args, usage)
    if found is None:
        return
    product, word = found
    stock = None if word in _NO_LIMIT else _count(word)
    if stock is None and word not in _NO_LIMIT:
        ctx.reply(f"没看懂数量「{word}」。{usage}")
        return
    apply(ctx, await set_stock(ctx.svc, campaign, product, stock, ctx.msg.id, ctx.now))


@changes.command("改价", "price", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/改价 草莓 35 新价格（已下单的保持原价；末尾加「全部」都按新价）")
async def price_command(ctx: Context, args: str) -> None:
    campaign = await _running(ctx)
    if campaign is None:
        return
    words = nfkc(args).split()
    everyone = bool(words) and words[-1] in _EVERYONE
    usage = "用法：/改价 草莓 35（新下单按¥35，已下单的保持原价）；/改价 草莓 35 全部（已下单的也按¥35）"
    found = await _product_and_rest(ctx, campaign, " ".join(words[:-1] if everyone else words), usage)
    if found is None:
        return
    product, word = found
    try:
        cents = parse_amount(word)
    except BadAmount as exc:
        ctx.reply(f"没有改价：{exc}。")
        return
    if cents == product.price_cents and not everyone:
        ctx.reply(f"{product.name}本来就是这个价。")
        return
    apply(ctx, await set_price(ctx.svc, campaign, product, cents, everyone, ctx.now))


@changes.command("加商品", "add", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/加商品 芒果 40元/箱 限量10 给进行中的团加一个商品（写法同 /开团 的商品行）")
async def add_product_command(ctx: Context, args: str) -> None:
    campaign = await _running(ctx)
    if campaign is None:
        return
    spec = parse_product_line(args) if args.strip() else None
    if spec is None:
        ctx.reply("没看懂这个商品。写法同 /开团 的商品行：/加商品 芒果 40元/箱 限量10 限购2")
        return
    apply(ctx, await add_product(ctx.svc, campaign, spec))


@changes.command("下架", "withdraw", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                help="/下架 草莓 不再卖，已订的取消（每位买家会收到一次提示）")
async def withdraw_command(ctx: Context, args: str) -> None:
    campaign = await _running(ctx)
    if campaign is None:
        return
    if not args.strip():
        ctx.reply("用法：/下架 草莓（不再卖草莓，已订的取消，每位买家会收到一次提示）")
        return
    products = [p for p in await ctx.svc.campaigns.products(campaign.id) if not p.withdrawn]
    named = named_products(products, args)
    if isinstance(named, str):
        ctx.reply(named)
        return
    if len(named) > 1:
        ctx.reply("一次下架一个商品：/下架 草莓")
        return
    apply(ctx, await withdraw(ctx.svc, campaign, named[0], ctx.msg.id, ctx.now))


_ALIAS = re.compile(r"^(.+?)\s*[=＝]\s*(.+)$")
_MAX_ALIAS = 12
ALIAS_USAGE = "用法：/别名 油 = 压榨花生油（群友写「油」就是压榨花生油）；/别名 查看；/别名 删除 油"


@changes.command("别名", "alias", admin_only=True, whole_drop=True, filters=(OPEN_CAMPAIGN,),
                 help="/别名 油 = 压榨花生油 群友写「油」就记成压榨花生油（/别名 查看，/别名 删除 油）")
async def alias_command(ctx: Context, args: str) -> None:
    """The owner's own words for her products, read in orders and questions alike from then on, in every
    group of the drop and in later campaigns selling a product of the same name."""
    campaign = await _running(ctx)
    if campaign is None:
        return
    rooms = [part.room_id for part in await ctx.svc.campaigns.parts(campaign)]
    words = args.strip()
    if words in ("", "查看", "列表"):
        known = await ctx.svc.campaigns.aliases(ctx.room_id)
        products = await ctx.svc.campaigns.products(campaign.id)
        ctx.reply("、".join(f"{word} = {_name_of(key, products)}" for word, key in known)
                  or f"还没有别名。{ALIAS_USAGE}")
        return
    if words.startswith(("删除", "删")):
        word = words.removeprefix("删除").removeprefix("删").strip()
        removed = [await ctx.svc.campaigns.remove_alias(room, word) for room in rooms]
        ctx.reply(f"已删除别名「{word}」" if any(removed) else f"没有别名「{word}」。{ALIAS_USAGE}")
        return
    pair = _ALIAS.match(nfkc(words))
    if pair is None:
        ctx.reply(ALIAS_USAGE)
        return
    word, target = pair.group(1).strip(), pair.group(2).strip()
    products = [p for p in await ctx.svc.campaigns.products(campaign.id) if not p.withdrawn]
    named = named_products(products, target)
    if isinstance(named, str) or len(named) != 1:
        ctx.reply(named if isinstance(named, str) else f"一个别名只对应一个商品。{ALIAS_USAGE}")
        return
    product = named[0]
    key = name_key(word)
    if not key or len(key) > _MAX_ALIAS or key.isdigit():
        ctx.reply(f"别名请用1到{_MAX_ALIAS}个字，不能只是数字。{ALIAS_USAGE}")
        return
    # A word that already names another product (its name, or a part of it only it has) stays that one's.
    other = next((p for p in catalog_of(products).named(word) if p.id != product.id), None)
    if other is not None:
        ctx.reply(f"「{word}」现在指{other.name}，不能做{product.name}的别名。")
        return
    for room in rooms:
        await ctx.svc.campaigns.set_alias(room, word, product.name, ctx.msg.sender.id, ctx.now)
    ctx.reply(f"✅ 好的，群友写「{word}」就记成{product.name}（问答里也一样）。")


def _name_of(key: str, products: list[Product]) -> str:
    return next((p.name for p in products if name_key(p.name) == key), key)
