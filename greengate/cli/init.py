"""`greengate init` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command("init")
def command() -> None:
    """Not implemented yet."""
    raise SystemExit(2)
