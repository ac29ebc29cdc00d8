"""Templates against hostile text: the sandbox refuses escapes, and names are data.

Owner-written templates arrive in a later issue; until then the sandbox they
will render in must already refuse the classic jinja2 escapes, and what members
and owners type (titles, product names) must reach the group literally, never
be evaluated as a template or as SQL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jinja2.exceptions import SecurityError

from bot.render.export import order_book
from bot.render.templates import Templates
from tests.harness import Harness

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ range.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ (1 | money).__class__ }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ '%s' % ''.__class__ }}",
    "{{ x.__class__.__init__ }}",
    "{{ x.__dict__ }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_the_sandbox_refuses_escapes(source: str) -> None:
    template = Templates().env.from_string(source)
    with pytest.raises(SecurityError):
        template.render(x=SimpleNamespace(secret=1))


def test_the_sandbox_refuses_huge_ranges() -> None:
    with pytest.raises(OverflowError):
        Templates().env.from_string("{{ range(100000000) | list | length }}").render()


TITLE = "{{ 7*7 }}团 {% if true %}IF{% endif %} '; DROP TABLE campaigns;--"
HOSTILE_PRODUCTS = {
    # product line as the owner writes it → the name the bot must show
    '"草莓" 30元/盒': '"草莓"',
    "{{ 7*7 }}水蜜桃 25元/箱": "{{ 7*7 }}水蜜桃",
    "Robert'); DROP TABLE products;-- 雪梨 12元/袋": "Robert'); DROP TABLE products;-- 雪梨",
    "{% raw %}{{ lipsum.__globals__ }}{% endraw %}荔枝 40元/斤": "{% raw %}{{ lipsum.__globals__ }}{% endraw %}荔枝",
    "苹果\u2028红富士 20元/盒": "苹果\u2028红富士",
    "{{ ''.__class__.__mro__ }}枣 9元/包": "{{ ''.__class__.__mro__ }}枣",
}


async def test_hostile_titles_and_product_names_are_shown_literally(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 " + TITLE + "\n" + "\n".join(HOSTILE_PRODUCTS))
    announce = bot.texts()[0]
    assert TITLE in announce
    for name in HOSTILE_PRODUCTS.values():
        assert name in announce
    assert "49" not in announce and "IF" + "团" not in announce

    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "水蜜桃1箱 雪梨3袋")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", '"草莓"'): 2, ("wx_li", "{{ 7*7 }}水蜜桃"): 1,
                                ("wx_li", "Robert'); DROP TABLE products;-- 雪梨"): 3}
    assert any("{{ 7*7 }}水蜜桃×1" in t for t in bot.texts())

    bot.take()
    await bot.say("wx_owner", "/汇总")
    assert bot.texts() == []
    (summary,) = bot.private()
    assert TITLE in summary
    for name in HOSTILE_PRODUCTS.values():
        assert name in summary
    assert "\"草莓\"：2盒" in summary

    # Stored as data: every table is still there and holds exactly these names.
    book = await order_book(bot.db)
    (campaign,) = book["campaigns"]
    assert campaign["title"] == TITLE
    assert [p["name"] for p in campaign["products"]] == list(HOSTILE_PRODUCTS.values())
    rows = await bot.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    assert {"campaigns", "products", "lines", "items"} <= {str(r[0]) for r in rows}


async def test_a_hostile_member_name_is_shown_literally(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓1盒", name="{{ 7*7 }}'); DROP TABLE members;--")
    await bot.settle()
    assert "@{{ 7*7 }}'); DROP TABLE members;-- 已记录：草莓×1，共¥30" in bot.texts()
    assert await bot.book() == {("wx_zhang", "草莓"): 1}


@pytest.mark.parametrize("source", ["{{ 'a' * 50000000 }}", "{{ 9 ** 9 ** 9 }}", "{{ [1] * 10**7 }}"])
def test_owner_template_cannot_exhaust_memory(source: str) -> None:
    from bot.render.templates import Templates

    problem = Templates().check("interaction", source)
    assert problem is not None and "SecurityError" in problem
