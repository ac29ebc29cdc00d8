"""Entry point: `python bot.py --help`. The command line lives in bot/cli.py."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
