"""Fixtures of the act tests: the action copy and dependency folder are made once a session."""

from __future__ import annotations

from pathlib import Path

import pytest
from act_runner import Act, NewAct, copy_action, link_dependencies, seed_tool_cache


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs act: ``-m act`` selects them, ``-m 'not act'`` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and item.fspath.basename.startswith("test_act"):
            item.add_marker(pytest.mark.act)


@pytest.fixture(scope="session")
def act_parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The action's files and the folder of greengate's dependencies, made once."""
    base = tmp_path_factory.mktemp("act-parts")
    return copy_action(base / "action"), link_dependencies(base / "deps")


@pytest.fixture(scope="session")
def new_act(
    tmp_path_factory: pytest.TempPathFactory,
    act_parts: tuple[Path, Path],
    hardware_cache: Path,
    no_machine_identity: Path,
) -> NewAct:
    """An act of its own (cache home, tool cache, artifacts) for one test or module.

    Module-scoped fixtures run before the hermetic environment (tests/conftest.py) is set,
    so greengate's test settings are given to act's jobs here.
    """
    settings = {
        "GREENGATE_CACHE_DIR": str(hardware_cache),
        "GREENGATE_DMI_DIR": str(no_machine_identity),
        "GREENGATE_POWERCAP_DIR": str(no_machine_identity),
    }

    def make() -> Act:
        home = tmp_path_factory.mktemp("act-home")
        seed_tool_cache(home / "cache")
        return Act(home, *act_parts, settings=settings)

    return make
