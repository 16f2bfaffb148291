"""Imports every feature's table module so that ``Base.metadata`` knows all tables.

Each feature owns one module here (``storage/<feature>.py``); add it to this list.
"""

from __future__ import annotations

import importlib

FEATURE_TABLE_MODULES: tuple[str, ...] = (
    "greenport.storage.registry",
    "greenport.storage.monitoring",
    "greenport.storage.evaluation",
    "greenport.storage.web",
)

for _name in FEATURE_TABLE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a feature not written yet
        if exc.name != _name:
            raise
