"""Imports every feature's table module so that ``Base.metadata`` knows all tables.

Each feature owns one module here (``storage/<feature>.py``); add its import to this list.
"""

from __future__ import annotations

from greenport.storage import alarms, cases, evaluation, monitoring, notifications, registry, web, workdays

#: The feature table modules, in the order their tables were added.
FEATURE_TABLE_MODULES: tuple[str, ...] = tuple(
    m.__name__ for m in (registry, monitoring, evaluation, web, alarms, notifications, workdays, cases)
)
