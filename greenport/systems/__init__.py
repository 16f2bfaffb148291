"""Shipped indicator systems as YAML data, each naming its sources, and the registry that lists them.

Every ``*.yaml`` file in this package is one system (``greenport.evaluation.system`` schema). The registry is
read through ``importlib.resources``, so it works from a wheel; tests iterate over :func:`system_ids`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from greenport.evaluation import System, load_system
from greenport.kernel.errors import NotFound


@cache
def _texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for entry in sorted(resources.files("greenport.systems").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            texts[entry.name.removesuffix(".yaml")] = entry.read_text(encoding="utf-8")
    return texts


def system_ids() -> list[str]:
    """Ids of the shipped systems (file name = id), sorted."""
    return sorted(_texts())


def system_text(system_id: str) -> str:
    """The YAML text of a shipped system (what its version hash is computed from, after parsing)."""
    try:
        return _texts()[system_id]
    except KeyError:
        raise NotFound(
            f"no shipped indicator system {system_id!r}; known: {', '.join(system_ids())}", field="system"
        ) from None


@cache
def get_system(system_id: str) -> System:
    """The checked :class:`~greenport.evaluation.System` of a shipped system."""
    system = load_system(system_text(system_id))
    if system.id != system_id:
        raise ValueError(f"{system_id}.yaml declares id {system.id!r}: file name and id must agree")
    return system


def all_systems() -> list[System]:
    return [get_system(system_id) for system_id in system_ids()]
