"""``python -m mock_ecr serve ...``: see ``transports/server/cli.py``."""

import sys

from .transports.server.cli import main

if __name__ == "__main__":
    sys.exit(main())
