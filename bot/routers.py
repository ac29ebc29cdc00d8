"""The handlers' routers, put together for the app: part of the composition root, like bot/cli.py.

The pipeline (bot/app) knows routers, never a handler module: which commands exist is decided here.
"""

from __future__ import annotations

from bot.app.groups import resolve_group
from bot.app.router import Dispatcher
from bot.app.scope import resolve_scope
from handlers import (
    admins,
    campaigns,
    checks,
    exports,
    help,
    members,
    ordering,
    owner,
    payments,
    pickup,
    plans,
    qa,
    scripts,
    stats,
)
from handlers.aftersales import claims, refunds, shortage


def build_dispatcher() -> Dispatcher:
    # Matchers run by their own priorities; routers are listed in the order /帮助 shows their commands.
    dispatcher = Dispatcher(resolve_group, resolve_scope)
    # The owner's /帮助 is by task, in the order of her week: open, change, check, deliver, collect money,
    # and when the goods are not what was sold.
    dispatcher.include(help.router, campaigns.router, campaigns.changes, checks.router, pickup.router, payments.router,
                       shortage.router, claims.router, refunds.router, qa.router, plans.router, scripts.router,
                       stats.router, exports.router, admins.router, owner.router, members.router, ordering.router)
    return dispatcher
