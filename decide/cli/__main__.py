"""``python -m decide.cli``."""

import sys

from decide.cli._main import main

sys.exit(main())
