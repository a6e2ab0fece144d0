"""``python -m greengate``: the same command line as the ``greengate`` script."""

from greengate.cli import console

console()
