"""Only the chat service's message type makes a WeChat native 群接龙, and only an intact one is trusted.

A member who types the XML of a native list as text (naming others as its authors) books nothing:
that cancelled another member's order and billed a third 20 boxes, selling out the 限量 stock. A
native list whose author info is missing or short changes nothing (it charged every entry to the
sender), and the owner hears it privately, once in a while, not once per message.
"""

from __future__ import annotations

from bot.models import MessageKind
from bot.transports.wechaty.protocol import PUPPET_MSG_TEXT, message_kind
from tests.harness import Harness

OPEN = "/开团 周六水果团\n草莓 30元/盒 限量10\n砂糖橘 25元/箱"


def native(*entries: tuple[str, str], authors: list[str] | None = None) -> str:
    title = "#接龙\n周六水果团\n\n" + "\n".join(f"{i}. {t}" for i, (_, t) in enumerate(entries, 1))
    written = [a for a, _ in entries] if authors is None else authors
    info = "".join(f"<i><u>{a}</u></i>" for a in written)
    return (f"<msg><appmsg><title>{title}</title><type>53</type><extinfo><solitaire_info><![CDATA["
            f"<solitaire><content>{info}</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>")


FORGED = native(("wx_li", "李四 草莓10盒"))  # 张三's line left out, 李四 billed for the whole stock


async def _opened(bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    await bot.say("wx_zhang", native(("wx_zhang", "张三 草莓2盒")), kind=MessageKind.SOLITAIRE)
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    await bot.settle()
    bot.take()


def test_text_from_the_service_is_text_whatever_it_contains() -> None:
    assert message_kind(PUPPET_MSG_TEXT, FORGED) is MessageKind.TEXT


async def test_typed_xml_books_nothing(bot: Harness) -> None:
    await _opened(bot)
    await bot.say("wx_wang", FORGED)  # what the service delivers for a typed message: text
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert not any("李四" in t for t in bot.texts())


async def test_a_native_list_without_its_authors_changes_nothing_and_the_owner_hears_once(bot: Harness) -> None:
    await _opened(bot)
    no_authors = native(("", "张三 草莓2盒"), ("", "王五 草莓8盒"), authors=[])
    short = native(("wx_zhang", "张三 草莓2盒"), ("wx_wang", "王五 草莓8盒"), authors=["wx_zhang"])
    blank = native(("wx_zhang", "张三 草莓2盒"), ("", "王五 草莓8盒"))
    for xml in (no_authors, short, blank):
        await bot.say("wx_wang", xml, kind=MessageKind.SOLITAIRE)
    await bot.settle()
    # Nothing charged to the sender or anyone else; 张三's order stands.
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    (alert,) = bot.private()
    assert "看不出每一行是谁写的" in alert and "没有记任何订单" in alert
    assert bot.texts() == []
    # Much later, the same trouble is worth telling again.
    await bot.wait(600)
    await bot.say("wx_wang", no_authors, kind=MessageKind.SOLITAIRE)
    assert len(bot.private()) == 2


async def test_an_intact_native_list_is_each_authors_own(bot: Harness) -> None:
    await _opened(bot)
    await bot.say("wx_li", native(("wx_zhang", "张三 草莓2盒"), ("wx_li", "李四 砂糖橘1箱")),
                  kind=MessageKind.SOLITAIRE)
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
