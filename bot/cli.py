"""接龙团购助手 — command line and composition root (run as `python bot.py`).

    python bot.py                      the bot in a console group chat (or WeChat, see --transport)
    python bot.py replay CHAT.jsonl    feed a recorded chat through the same pipeline
    python bot.py export --format json the order book
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB = Path("data") / "bot.sqlite"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line, exit 2: scripts and people both read it.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from exc


def build_parser() -> Parser:
    parser = Parser(prog="bot.py", description="接龙团购助手: turns WeChat group 接龙 into an exact order book.")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--transport", choices=["console", "wechaty"], default=None,
                        help="console (default) or wechaty (default when WECHATY_PUPPET_SERVICE_TOKEN is set)")
    parser.add_argument("--tz", type=_zone, default="Asia/Shanghai", metavar="ZONE",
                        help="time zone for schedules, deadlines and the times in exports (default Asia/Shanghai)")
    parser.add_argument("--ack-window", type=float, default=3.0, metavar="SECONDS",
                        help="gather acknowledgements in a group over this many seconds (default 3)")
    parser.add_argument("--group-interval", type=float, default=2.0, metavar="SECONDS",
                        help="WeChat: at least this long between two bot messages in one group (default 2)")
    parser.add_argument("--per-minute", type=int, default=20, metavar="N",
                        help="WeChat: at most N bot messages a minute over all chats (default 20)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    replay = sub.add_parser("replay", help="replay a recorded chat (transcript.jsonl) and print what the bot says")
    replay.add_argument("transcript", type=Path)
    replay.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="SQLite file")
    replay.add_argument("--ack-window", type=float, default=argparse.SUPPRESS, metavar="SECONDS")
    replay.add_argument("--tz", type=_zone, default=argparse.SUPPRESS, metavar="ZONE")

    export = sub.add_parser("export", help="print or write the order book and the after-the-drop reports")
    export.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="SQLite file")
    export.add_argument("--format", choices=["json", "csv", "xlsx"], default="json",
                        help="json (default), csv (UTF-8 with BOM) or xlsx (one sheet per report; needs --out)")
    export.add_argument("--campaign", type=int, default=None, metavar="ID", help="only this campaign")
    export.add_argument("--report", choices=["orders", "supplier", "packing", "members"], default=None,
                        help="orders (the order book, default for json/csv), supplier (what to buy), packing "
                             "(by pickup point and building), members (owed, paid, collected); "
                             "xlsx: every sheet unless given")
    export.add_argument("--out", type=Path, default=None, metavar="FILE", help="write here instead of stdout")
    export.add_argument("--tz", type=_zone, default=argparse.SUPPRESS, metavar="ZONE")
    return parser


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"bot.py: error: {message}\n")
    raise SystemExit(2)


async def _serve(args: argparse.Namespace, transport_name: str) -> None:
    from bot.app.outbox import SendLimits
    from bot.app.runtime import run_bot
    from bot.clock import SystemClock

    clock = SystemClock(args.tz)
    if transport_name == "wechaty":
        from bot.transports.wechaty import WechatyTransport

        token = os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN", "")
        endpoint = os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT", "")
        if not token:
            _fail("--transport wechaty needs WECHATY_PUPPET_SERVICE_TOKEN (see README, Connect to WeChat)")
        if not endpoint:
            _fail("set WECHATY_PUPPET_SERVICE_ENDPOINT=host:port of your puppet service "
                  "(see README, Connect to WeChat)")
        try:
            transport = WechatyTransport(token=token, endpoint=endpoint, cache_dir=args.db.parent / ".wechaty")
            limits = SendLimits(per_group_interval=args.group_interval, per_account_per_minute=args.per_minute)
        except ValueError as exc:
            _fail(str(exc))
        await run_bot(transport, args.db, clock, timedelta(seconds=args.ack_window), live=True, limits=limits)
    else:
        from bot.transports.console import ConsoleTransport

        await run_bot(ConsoleTransport(clock), args.db, clock, timedelta(seconds=args.ack_window), live=True)


async def _replay(args: argparse.Namespace) -> None:
    from bot.app.runtime import run_bot
    from bot.clock import ManualClock
    from bot.transports.replay import ReplayTransport

    if not args.transcript.is_file() or not os.access(args.transcript, os.R_OK):
        _fail(f"cannot read transcript {args.transcript}")
    clock = ManualClock(tz=args.tz)
    await run_bot(ReplayTransport(args.transcript, clock), args.db, clock,
                  timedelta(seconds=args.ack_window), live=False)


async def _export(args: argparse.Namespace) -> None:
    from bot.domain.reports import UnknownCampaign, load_reports
    from bot.render.export import TABLES, order_book, report_json, table_csv, to_json
    from storage.db import Database

    if args.format == "xlsx" and args.out is None:
        _fail("--format xlsx writes a workbook: give it a file with --out FILE.xlsx")
    if not args.db.is_file():
        _fail(f"no database at {args.db}")
    db = await Database.open(args.db)
    try:
        if args.format == "xlsx":
            from bot.render.xlsx_export import SHEETS, export_xlsx

            try:
                await export_xlsx(db, args.out, args.tz, args.campaign,
                                  SHEETS if args.report is None else (args.report,))
            except UnknownCampaign as exc:
                _fail(str(exc))
            except OSError as exc:
                _fail(f"cannot write {args.out}: {exc.strerror}")
            return
        if args.report in (None, "orders") and args.format == "json":
            # The order book's own shape: the corpus check and scripts read it.
            book = await order_book(db, args.campaign)
            if args.campaign is not None and not book["campaigns"]:
                _fail(f"no campaign with id {args.campaign}")
            text = to_json(book)
        else:
            try:
                reports = await load_reports(db, args.campaign)
            except UnknownCampaign as exc:
                _fail(str(exc))
            report = args.report or "orders"
            text = (to_json(report_json(reports, report, args.tz)) if args.format == "json"
                    else table_csv(TABLES[report](reports, args.tz)))
    finally:
        await db.close()
    data = text.encode("utf-8") if args.format == "json" else text.encode("utf-8-sig")
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            _fail(f"cannot write {args.out}: {exc.strerror}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from storage.db import DatabaseError

    try:
        if args.command == "replay":
            asyncio.run(_replay(args))
        elif args.command == "export":
            asyncio.run(_export(args))
        else:
            token = os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN")
            transport = args.transport or ("wechaty" if token else "console")
            asyncio.run(_serve(args, transport))
    except DatabaseError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return 0
