"""Entry point: `python bot.py --help`. The command line lives in bot/cli.py."""

import faulthandler
import sys

from bot.cli import main

if __name__ == "__main__":
    # A fatal signal (SIGBUS on an unwritable shared-memory file, SIGSEGV) leaves a traceback on stderr.
    faulthandler.enable()
    sys.exit(main())
