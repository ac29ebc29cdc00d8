"""Renders the texts the bot posts: `scripts_templates/`, or a group's own version.

Templates render in jinja2's sandbox with undefined names as errors, so a broken
template fails loudly instead of posting half a message. An owner's template is
tried on sample data before it is accepted; if it still fails when posting, the
caller either skips the post (hype posts) or falls back to the default text
(order confirmations, totals), so a member is never left without her answer.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    FileSystemLoader,
    FunctionLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from bot.clock import DEFAULT_TZ
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


def _error_line(exc: BaseException) -> int | None:
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    # jinja2 rewrites tracebacks so the template's own lines appear as frames.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>":
            return frame.lineno
    return None


# An owner's template may multiply strings or raise to powers; the sandbox
# stops attribute escapes but not `{{ 'a' * 50000000 }}` or `9**9**9`.
MAX_RESULT_CHARS = 10_000
MAX_EXPONENT = 64


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (not isinstance(right, int | float) or abs(right) > MAX_EXPONENT
                                 or (isinstance(left, int | float) and abs(left) > 10**6)):
            raise SecurityError("exponent too large for a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                        and len(seq) * times > MAX_RESULT_CHARS:
                    raise SecurityError("repetition too large for a template")
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class TemplateFailure:
    """An owner's template that failed on real data: the owner is told once (bot/app/faults.py)."""

    room_id: str
    kind: str
    error: str
    fallback: bool  # the default text was used instead; False: nothing was posted


class Templates:
    def __init__(self, folder: Path | None = None, bytecode_cache: BytecodeCache | None = None) -> None:
        """`folder`: another set of default templates (tests); the packaged ones otherwise.
        `bytecode_cache`: compiled templates shared with other instances (the tests build hundreds)."""
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
        self._overrides: dict[tuple[str, str], str] = {}
        self._compiled: dict[tuple[str, str], Template] = {}
        self._default_mentions: dict[tuple[str, str], bool] = {}  # the packaged templates never change
        # Owners' templates that failed on real data, not yet reported; each is reported once until it
        # is changed (reported again after a restart, at most once).
        self._failures: list[TemplateFailure] = []
        self._reported: set[tuple[str, str]] = set()

    # -- owner templates -------------------------------------------------------

    def set_override(self, room_id: str, kind: str, text: str) -> None:
        self._overrides[(room_id, kind)] = text
        self._compiled.pop((room_id, kind), None)
        self._reported.discard((room_id, kind))

    def clear_override(self, room_id: str, kind: str) -> None:
        self._overrides.pop((room_id, kind), None)
        self._compiled.pop((room_id, kind), None)
        self._reported.discard((room_id, kind))

    @property
    def has_failures(self) -> bool:
        return bool(self._failures)

    def take_failures(self) -> list[TemplateFailure]:
        """Owners' templates that failed since the last call, each one once until it is changed."""
        failures, self._failures = self._failures, []
        return failures

    def _failed(self, room_id: str, kind: str, exc: BaseException, fallback: bool) -> None:
        if (room_id, kind) not in self._reported:
            self._reported.add((room_id, kind))
            self._failures.append(TemplateFailure(room_id, kind, f"{type(exc).__name__}: {exc}"[:120], fallback))

    def override(self, room_id: str, kind: str) -> str | None:
        return self._overrides.get((room_id, kind))

    def mentions(self, room_id: str | None, kind: str, name: str) -> bool:
        """Whether the template this group renders for `kind` names `name` (what it needs computed)."""
        text = self._overrides.get((room_id, kind)) if room_id is not None else None
        if text is not None:
            return name in text
        if (kind, name) not in self._default_mentions:
            self._default_mentions[(kind, name)] = name in self.source(kind)
        return self._default_mentions[(kind, name)]

    def source(self, kind: str) -> str:
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, f"{kind}.j2")[0]

    def check(self, kind: str, text: str) -> str | None:
        """Why `text` cannot be this kind's template, or None when it renders on sample data."""
        try:
            template = self.env.from_string(text)
            result = template.render(**sample_context(kind))
        except Exception as exc:  # a template can fail in many ways; all of them are refusals
            line = _error_line(exc)
            where = f"第{line}行：" if line else ""
            return f"{where}{type(exc).__name__}: {exc}"
        if not result.strip():
            return "渲染出来是空的"
        return None

    # -- rendering ---------------------------------------------------------------

    def render(self, kind: str, room_id: str | None = None, *, fallback: bool = True, **context: Any) -> str:
        """The text of `kind` for this group. An owner's template that fails here
        raises RenderError unless `fallback`, when the default text is used."""
        if room_id is not None and (room_id, kind) in self._overrides:
            try:
                template = self._compiled.get((room_id, kind))
                if template is None:
                    template = self._compiled[(room_id, kind)] = self.env.from_string(self._overrides[(room_id, kind)])
                return template.render(**context).strip("\n")
            except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
                log.error("group %s: owner template %s failed (%s)", room_id, kind, exc)
                self._failed(room_id, kind, exc, fallback)
                if not fallback:
                    raise RenderError(f"template {kind} failed: {exc}") from exc
        try:
            return self.env.get_template(f"{kind}.j2").render(**context).strip("\n")
        except TemplateError as exc:
            raise RenderError(f"template {kind} failed: {exc}") from exc


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
