"""Renders the texts the bot posts: `scripts_templates/`, or a group's own version.

Templates render in jinja2's sandbox with undefined names as errors, so a broken
template fails loudly instead of posting half a message. The built-in templates
render here, in-process (every acknowledgement takes this path: it must stay
cheap). A group's own template (/话术 设置, written by its owner, an admin or a
partner) renders in the budgeted worker process (bot/render/sandbox.py): bounded
in CPU time, memory and output, never on the event loop's thread (`arender`,
`acheck`). It is tried on sample data before it is accepted, with the reason
when it is refused; if it still fails or breaks its budget on real data, the
built-in text is used from then on and the owner is told once (`take_troubles`;
the app says it, bot/app/pipeline.py). A group-bound template never sees the
owner's commission (`public`), whoever wrote it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, FileSystemLoader, FunctionLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.clock import DEFAULT_TZ
from bot.render.sandbox import Refused, Worker, check_power_and_repetition, shared_worker
from storage.records import Campaign, MemberOrder, OrderItem, Product, ProductTotal, WaitlistTotal

log = logging.getLogger("bot.render.templates")

# The defaults are package data of `scripts_templates`, read through importlib
# so an installed bot finds them as a source checkout does.
TEMPLATE_PACKAGE = "scripts_templates"


def _packaged(name: str) -> str | None:
    if "/" in name or "\\" in name or not name.endswith(".j2"):
        return None
    entry = resources.files(TEMPLATE_PACKAGE).joinpath(name)
    return entry.read_text(encoding="utf-8") if entry.is_file() else None

@dataclass(frozen=True)
class CampaignShown(Campaign):
    """A campaign as a template sees it: with the counts worked out when it is rendered."""

    live_lines: int = 0  # live 接龙 lines (copies and WeChat's own); see Services.render


# Every kind an owner may replace, with the names she can use for it.
KINDS: dict[str, tuple[str, ...]] = {
    "teaser": ("预告", "开团预告"),
    "interaction": ("互动", "互动话术"),
    "countdown": ("倒计时",),
    "announce": ("开团", "开团公告"),
    "jielong_list": ("接龙", "接龙模板"),
    "reminder": ("提醒", "截单提醒"),
    "closed": ("截单", "截单通知"),
    "group_reached": ("成团",),
    "group_failed": ("未成团", "不成团"),
    "acks": ("确认", "下单确认"),
    "summary": ("汇总",),
    "my_orders": ("查单", "我的订单"),
    "help": ("帮助",),
    "pickup_notice": ("到货", "到货通知"),
    "pickup_reminder": ("取货提醒",),
    "welcome": ("欢迎", "入群欢迎"),
    "broadcast": ("播报", "跟团播报"),
    "soldout": ("售罄", "抢完"),
    "restock": ("补货", "有货"),
}

# Kinds whose text is the owner's own (her totals, privately): only she may change them, never an
# admin or partner of one of her groups (bot/domain/scope.py).
OWNER_KINDS = frozenset({"summary"})

# What `live` holds in the hype templates (None before the drop: `{% if live %}`), shown by /话术 查看.
LIVE_DOC = ("live.buyers 已下单人数；live.products 每个商品（.name .unit .ordered 已订 .stock 限量 .left 剩余）；"
            "live.minutes_left 距截单分钟（{{ live.minutes_left | duration }} 写成「11小时58分钟」）；"
            "live.progress 成团进度（.have .need .unit .short 还差）")


def variables_of(kind: str) -> str:
    """The names a template of `kind` can use, for /话术 查看."""
    names = "、".join(sorted(sample_context(kind)))
    return f"可用变量：{names}" + (f"\n{LIVE_DOC}" if "live" in sample_context(kind) else "")


def kind_named(name: str) -> str | None:
    name = name.strip().lower()
    for kind, aliases in KINDS.items():
        if name == kind or name in aliases:
            return kind
    return None


class RenderError(Exception):
    """A template could not be rendered; nothing was posted from it."""


def money(cents: int | None) -> str:
    if cents is None:
        return "未定价"
    yuan, fen = divmod(int(cents), 100)
    return f"¥{yuan}" if fen == 0 else f"¥{yuan}.{fen:02d}"


def duration(minutes: int | None) -> str:
    """Minutes as people say them: `25分钟`, `11小时58分钟`, `2天3小时` (never `718分钟`)."""
    if minutes is None:
        return ""
    minutes = max(int(minutes), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if mins else f"{hours}小时"
    return f"{mins}分钟"


def when(value: datetime | None, now: datetime | None = None) -> str:
    """`11月21日 20:00`; with `now`, the year too when it is not now's year."""
    if value is None:
        return ""
    year = f"{value.year}年" if now is not None and value.year != now.year else ""
    return f"{year}{value.month}月{value.day}日 {value:%H:%M}"


class _Sandbox(SandboxedEnvironment):
    """The built-in templates are trusted; they still render in jinja2's sandbox, and the groups' own
    templates in bot/render/sandbox.py's stricter one, in a worker process."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_power_and_repetition(operator, left, right)
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class Trouble:
    """A group's own template failed on real data: the built-in text was used instead."""

    room_id: str
    kind: str
    text: str  # her template
    why: str


def public(value: Any) -> Any:
    """`value` as a template bound for a group may see it: campaigns and products without the owner's
    commission (dataclasses rebuilt, lists, tuples and dicts walked)."""
    if is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in fields(value):
            if not f.init:
                continue
            inner = getattr(value, f.name)
            if f.name == "commission_bp":
                if inner is not None:
                    changes[f.name] = None
                continue
            shown = public(inner)
            if shown is not inner:
                changes[f.name] = shown
        return replace(value, **changes) if changes else value
    if isinstance(value, list | tuple):
        shown = [public(v) for v in value]
        if all(a is b for a, b in zip(shown, value, strict=True)):
            return value
        return type(value)(*shown) if hasattr(value, "_fields") else type(value)(shown)  # a NamedTuple, or not
    if isinstance(value, dict):
        walked = {k: public(v) for k, v in value.items()}
        return value if all(walked[k] is v for k, v in value.items()) else walked
    return value


class Templates:
    def __init__(self, folder: Path | None = None, bytecode_cache: BytecodeCache | None = None,
                 worker: Worker | None = None) -> None:
        """`folder`: another set of default templates (tests); the packaged ones otherwise.
        `bytecode_cache`: compiled templates shared with other instances (the tests build hundreds).
        `worker`: where the groups' own templates render (the process's shared one by default)."""
        self.env = _Sandbox(
            loader=FileSystemLoader(str(folder)) if folder is not None else FunctionLoader(_packaged),
            bytecode_cache=bytecode_cache,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self.env.filters["money"] = money
        self.env.filters["when"] = when
        self.env.filters["duration"] = duration
        self._worker = worker
        self._overrides: dict[tuple[str, str], str] = {}
        # Her template failed on real data: why. The built-in one is used until she sets another.
        self._broken: dict[tuple[str, str], str] = {}
        self._troubles: list[Trouble] = []
        self._default_mentions: dict[tuple[str, str], bool] = {}  # the packaged templates never change

    @property
    def worker(self) -> Worker:
        if self._worker is None:
            self._worker = shared_worker()
        return self._worker

    # -- owner templates -------------------------------------------------------

    def set_override(self, room_id: str, kind: str, text: str, broken: str | None = None) -> None:
        self._overrides[(room_id, kind)] = text
        if broken is None:
            self._broken.pop((room_id, kind), None)
        else:
            self._broken[(room_id, kind)] = broken

    def clear_override(self, room_id: str, kind: str) -> None:
        self._overrides.pop((room_id, kind), None)
        self._broken.pop((room_id, kind), None)

    def override(self, room_id: str, kind: str) -> str | None:
        return self._overrides.get((room_id, kind))

    def broken(self, room_id: str, kind: str) -> str | None:
        """Why the group's own template of `kind` is not used (it failed on real data), or None."""
        return self._broken.get((room_id, kind))

    def _own(self, room_id: str | None, kind: str) -> str | None:
        """The group's own template of `kind`, when it has one that works."""
        if room_id is None or (room_id, kind) in self._broken:
            return None
        return self._overrides.get((room_id, kind))

    def take_troubles(self) -> list[Trouble]:
        """The groups' templates that failed since the last call (each once: it is not used again)."""
        out, self._troubles = self._troubles, []
        return out

    def mentions(self, room_id: str | None, kind: str, name: str) -> bool:
        """Whether the template this group renders for `kind` names `name` (what it needs computed)."""
        text = self._own(room_id, kind)
        if text is not None:
            return name in text
        if (kind, name) not in self._default_mentions:
            self._default_mentions[(kind, name)] = name in self.source(kind)
        return self._default_mentions[(kind, name)]

    def source(self, kind: str) -> str:
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, f"{kind}.j2")[0]

    def _sample_check(self, kind: str, text: str, result: str) -> str | None:
        if not result.strip():
            return "渲染出来是空的"
        try:
            self._fits(kind, result, sample_context(kind))
        except Refused as exc:
            return str(exc)
        return None

    def check(self, kind: str, text: str) -> str | None:
        """Why `text` cannot be this kind's template, or None when it renders on sample data within its
        budget. Blocks up to the budget: from the event loop, `acheck`."""
        try:
            result = self.worker.render(text, public(sample_context(kind)))
        except Refused as exc:
            return str(exc)
        return self._sample_check(kind, text, result)

    async def acheck(self, kind: str, text: str) -> str | None:
        """`check`, off the event loop."""
        try:
            result = await self.worker.arender(text, public(sample_context(kind)))
        except Refused as exc:
            return str(exc)
        return self._sample_check(kind, text, result)

    # -- rendering ---------------------------------------------------------------

    def _fits(self, kind: str, text: str, context: dict[str, Any]) -> str:
        """Her text, when it is no longer than the budget allows (or than the built-in text, and then
        some: a 500-line list is long whoever lays it out); Refused otherwise."""
        budget = self.worker.budget.chars
        if len(text) > budget:
            allowed = len(self._builtin(kind, context)) + budget
            if len(text) > allowed:
                raise Refused(f"输出太长：{len(text)}字（最多{allowed}字）")
        return text.strip("\n")

    def _builtin(self, kind: str, context: dict[str, Any]) -> str:
        try:
            return self.env.get_template(f"{kind}.j2").render(**context).strip("\n")
        except TemplateError as exc:
            raise RenderError(f"template {kind} failed: {exc}") from exc

    def _failed(self, room_id: str, kind: str, text: str, exc: Refused) -> None:
        log.error("group %s: its own template %s failed, the built-in one is used (%s)", room_id, kind, exc)
        if (room_id, kind) not in self._broken:
            self._broken[(room_id, kind)] = str(exc)
            self._troubles.append(Trouble(room_id, kind, text, str(exc)))

    def _shown(self, kind: str, context: dict[str, Any]) -> dict[str, Any]:
        # Whoever wrote a group's template, it never sees the owner's commission unless it is hers.
        return context if kind in OWNER_KINDS else public(context)

    def render(self, kind: str, room_id: str | None = None, **context: Any) -> str:
        """The text of `kind` for this group. A group's own template renders in the worker and may
        block up to its budget: from the event loop, prefer `arender` (acknowledgements still call
        this; see bot/app/acks.py)."""
        own = self._own(room_id, kind)
        if own is not None and room_id is not None:
            try:
                return self._fits(kind, self.worker.render(own, self._shown(kind, context)), context)
            except Refused as exc:
                self._failed(room_id, kind, own, exc)
        return self._builtin(kind, context)

    async def arender(self, kind: str, room_id: str | None = None, **context: Any) -> str:
        """`render`, with a group's own template rendered off the event loop."""
        own = self._own(room_id, kind)
        if own is not None and room_id is not None:
            try:
                return self._fits(kind, await self.worker.arender(own, self._shown(kind, context)), context)
            except Refused as exc:
                self._failed(room_id, kind, own, exc)
        return self._builtin(kind, context)


def _sample_products() -> list[Product]:
    return [
        Product(1, 1, 0, "A", "丹东草莓", 3000, "盒", 50, 3, 12),
        Product(2, 1, 1, "B", "砂糖橘", 2500, "箱", None, None, 0),
    ]


def _sample_campaign() -> Campaign:
    opened = datetime(2026, 11, 21, 8, 0, tzinfo=DEFAULT_TZ)
    return CampaignShown(1, "r1", "周六鲜果团", "open", opened, opened + timedelta(hours=12), None,
                         "东门快递柜 11-22 09:00-12:00", 10, None, "wx_owner", "", False, live_lines=3)


def sample_context(kind: str) -> dict[str, Any]:
    """Data every template of `kind` can rely on; owners' templates are tried on it."""
    campaign = _sample_campaign()
    products = _sample_products()
    totals = [ProductTotal(products[0], 12), ProductTotal(products[1], 4)]
    common: dict[str, Any] = {"campaign": campaign, "products": products, "title": campaign.title,
                              "open_at": campaign.opened_at, "text": "今晚8点开团，草莓超甜！"}
    live = {"title": campaign.title, "buyers": 42, "minutes_left": 25,
            "products": [{"name": "丹东草莓", "unit": "盒", "ordered": 47, "stock": 50, "left": 3},
                         {"name": "砂糖橘", "unit": "箱", "ordered": 12, "stock": None, "left": None}],
            "progress": {"have": 42, "need": 30, "unit": "人", "short": 0}}
    extra: dict[str, dict[str, Any]] = {
        "teaser": {"live": live},
        "interaction": {"live": live},
        "countdown": {"minutes": 10, "live": live},
        "announce": {"example": "丹东草莓1盒"},
        "jielong_list": {"prices": "丹东草莓 ¥30/盒，砂糖橘 ¥25/箱", "example": "丹东草莓1盒",
                         "lines": ["3-502 张三 丹东草莓2盒"]},
        "reminder": {"minutes_left": 30, "totals": totals, "buyers": 8, "live": live},
        "broadcast": {"live": live},
        "soldout": {"product": products[0], "left": 0, "unit": "盒"},
        "restock": {"product": products[0], "left": 2, "unit": "盒"},
        # What the group sees at the close: no money, no commission, no check list (those go to the owner).
        "closed": {"totals": totals, "buyers": 8},
        "summary": {"totals": totals, "buyers": 8, "total_cents": 46000, "commission_cents": 0, "unreadable": [],
                    "asking": [], "waitlist": [WaitlistTotal(products[0], 3, 2)]},
        "group_reached": {"need": 10, "have": 10, "unit": "人"},
        "group_failed": {"need": 10, "have": 6, "unit": "人"},
        "acks": {"entries": [{"name": "张三", "text": "已记录：丹东草莓×2，共¥60"}]},
        "my_orders": {"name": "张三", "total_cents": 6000, "private": False, "orders": [
            {"title": campaign.title, "state": "已付，待取货（取货码101）", "order": MemberOrder(
                "wx_zhang", "张三", "3-502 张三", (OrderItem(products[0], 2),))}]},
        "pickup_notice": {"place": "东门快递柜 11-22 09:00-12:00", "part": 1, "parts": 1, "changed": "",
                          "was": "",
                          "entries": [{"name": "张三", "goods": "丹东草莓×2", "code": "101", "card": ""}]},
        "pickup_reminder": {"place": "东门快递柜", "part": 1, "parts": 1,
                            "entries": [{"name": "张三", "code": "101"}]},
        "help": {"sections": [{"title": "怎么下单", "lines": ["复制接龙，在最后加一行"]},
                              {"title": "开团、截单与汇总", "lines": ["/开团 标题 + 每行一个商品"]}],
                 "example": "/开团 周六水果团\n草莓 30元/盒"},
        "welcome": {"example": "丹东草莓1盒"},
    }
    return {**common, **extra.get(kind, {})}
