"""The handlers' routers, put together for the app: part of the composition root, like bot/cli.py.

The pipeline (bot/app) knows routers, never a handler module: which commands exist is decided here.
"""

from __future__ import annotations

from bot.app.groups import resolve_group
from bot.app.router import Dispatcher
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


def build_dispatcher() -> Dispatcher:
    # Matchers run by their own priorities; routers are listed in the order /帮助 shows their commands.
    dispatcher = Dispatcher(resolve_group)
    dispatcher.include(help.router, campaigns.router, pickup.router, payments.router, stats.router, exports.router,
                       plans.router, scripts.router, qa.router, admins.router, owner.router, checks.router,
                       members.router, ordering.router)
    return dispatcher
