"""`python -m playground` behaves exactly like the `playground` command."""

from playground.cli import run

run()
