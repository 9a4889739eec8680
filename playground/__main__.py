"""`python -m playground` behaves exactly like the `playground` command."""

import sys

from playground.cli import main

sys.exit(main())
