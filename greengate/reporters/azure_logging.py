"""Azure Pipelines logging commands: ``##vso[area.action key=value;...]message`` on stdout.

Escaping as azure-pipelines-task-lib ``node/taskcommand.ts`` does it, ``%`` first: message
data ``%`` -> ``%AZP25``, CR -> ``%0D``, LF -> ``%0A``; property values also ``]`` -> ``%5D``
and ``;`` -> ``%3B``. Unescaped, a newline in a branch name would end the command early and
the rest of the line could be read as a command of its own.
"""

from __future__ import annotations

from collections.abc import Mapping


def escape_data(s: str) -> str:
    """Escape a logging command's message."""
    return s.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """Escape a logging command's property value."""
    return escape_data(s).replace("]", "%5D").replace(";", "%3B")


def vso(command: str, properties: Mapping[str, str] | None = None, message: str = "") -> str:
    """One ``##vso[...]`` line (without the newline); empty property values are left out."""
    props = "".join(
        f"{key}={escape_property(value)};" for key, value in (properties or {}).items() if value
    )
    return f"##vso[{command}{' ' + props if props else ''}]{escape_data(message)}"
