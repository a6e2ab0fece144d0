"""Fixtures of the act tests, imported by each act test module.

Not a conftest.py: the test modules import ``conftest`` by name, and a second one here would
shadow the suite's. What is costly (the action's copy, the dependency folder, the wheel and
its index) is made once a session however many modules import these.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from act_runner import Act, NewAct, copy_action, link_dependencies, seed_tool_cache
from package_index import PackageIndex, build_wheel, serve_index


@cache
def _parts(base: Path) -> tuple[Path, Path, PackageIndex]:
    action = copy_action(base / "action")
    deps = link_dependencies(base / "deps")
    wheel = build_wheel(copy_action(base / "source"), base / "wheels")
    # Served until the session ends (a daemon thread): each module's act runs use it.
    return action, deps, serve_index(PackageIndex(wheel))


@pytest.fixture(scope="session")
def act_parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, PackageIndex]:
    """The action's files, greengate's dependencies and the loopback index, made once."""
    return _parts(tmp_path_factory.getbasetemp() / "act-parts")


@pytest.fixture(scope="session")
def package_index(act_parts: tuple[Path, Path, PackageIndex]) -> PackageIndex:
    """A loopback index holding this checkout's wheel, as PyPI holds greengate's releases."""
    return act_parts[2]


@pytest.fixture(scope="session")
def new_act(
    tmp_path_factory: pytest.TempPathFactory,
    act_parts: tuple[Path, Path, PackageIndex],
    hardware_cache: Path,
    no_machine_identity: Path,
) -> NewAct:
    """An act of its own (cache home, tool cache, artifacts) for one test or module.

    Module-scoped fixtures run before the hermetic environment (tests/conftest.py) is set,
    so greengate's test settings are given to act's jobs here.
    """
    action, deps, index = act_parts
    settings = {
        "GREENGATE_CACHE_DIR": str(hardware_cache),
        "GREENGATE_DMI_DIR": str(no_machine_identity),
        "GREENGATE_POWERCAP_DIR": str(no_machine_identity),
    }

    def make() -> Act:
        home = tmp_path_factory.mktemp("act-home")
        seed_tool_cache(home / "cache")
        return Act(home, action, deps, settings=settings, index_url=index.url)

    return make
