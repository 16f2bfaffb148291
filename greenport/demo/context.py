"""What the demo stages share: the container, the seed, and the registry facts later stages need.

``greenport.demo.build`` runs the registry stage (:mod:`greenport.demo.city`), which fills a
:class:`DemoContext`; then it runs the optional stages ``greenport.demo.assessments`` and
``greenport.demo.monitoring`` (each ``build(ctx: DemoContext) -> dict``) and merges their
results into the JSON summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from greenport.bootstrap import Container
from greenport.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DemoDevice:
    """A demo data logger: its MN, its plain demo password (``demo_device_password(mn)``), the
    site it measures and that site's kind (``air_station``, ``water_section``, ``gas_outlet``,
    ``water_outlet``)."""

    mn: str
    password: str
    site_id: int
    site_code: str
    site_kind: str
    enterprise_id: int | None = None
    emission_standard: str | None = None
    process: str | None = None


@dataclass
class DemoContext:
    """Shared state of one demo build.

    Attributes
    ----------
    container : Container
        The wired application; ``ctx.uow()`` opens a unit of work.
    seed : int
        Seed of every ``random.Random`` of the build (same seed, same database).
    fast : bool
        True in tests: stages skip long backfills (e.g. a year of monitoring data).
    city_code : str
        Division code of 港城 (12 digits).
    town_codes : list of str
        The 13 town-level divisions (10 towns/districts, then 3 streets), in code order.
    village_codes : list of str
        The 163 villages/communities.
    park_codes : dict
        Park code -> town code.
    site_ids : dict
        Site kind value -> site ids of that kind (ids ascending).
    enterprise_ids : list of int
        All demo enterprises (ids ascending).
    outlet_enterprise_ids : list of int
        The major emitters that have outlets and devices.
    devices : list of DemoDevice
        Every demo device with its plain demo password (the simulator needs them).
    logins : list of dict
        ``{role, username, password}`` of the demo users (printed in demo mode only).
    reference_year : int
        The year the demo city is calibrated to (2022).
    episodes : dict
        The planted monitoring episodes (:data:`greenport.demo.monitoring.EPISODES`) as the
        monitoring stage placed them: name -> the spec with ``site`` (code) and ``site_id``.
    progress : callable or None
        ``progress(stage, done, total)``, called by a stage as its work advances (the monitoring
        stage: hours of the reference year back-filled); the command line draws it as a bar.
    """

    container: Container
    seed: int = 2022
    fast: bool = False
    city_code: str = ""
    town_codes: list[str] = field(default_factory=list)
    village_codes: list[str] = field(default_factory=list)
    park_codes: dict[str, str] = field(default_factory=dict)
    site_ids: dict[str, list[int]] = field(default_factory=dict)
    enterprise_ids: list[int] = field(default_factory=list)
    outlet_enterprise_ids: list[int] = field(default_factory=list)
    devices: list[DemoDevice] = field(default_factory=list)
    logins: list[dict[str, str]] = field(default_factory=list)
    reference_year: int = 2022
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: Callable[[str, int, int], None] | None = None

    def report(self, stage: str, done: int, total: int) -> None:
        """Tell :attr:`progress` (if any) that ``stage`` has done ``done`` of ``total`` units."""
        if self.progress is not None:
            self.progress(stage, done, total)

    def uow(self) -> UnitOfWork:
        """A new unit of work on the demo database (commit on success, roll back on error)."""
        return self.container.uow()
