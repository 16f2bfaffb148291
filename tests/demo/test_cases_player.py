"""The demo's clock for the cases stage (greenport/demo/cases.py ``_Player``): the actions of one
Beijing day share a unit of work, one commit a day rather than one an action (the stage's time
went mostly to SQLite's sync of each commit), and a failing action leaves its day unwritten."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from greenport.demo.cases import _Player
from greenport.demo.context import DemoContext
from greenport.regions import service as regions
from greenport.storage.uow import UnitOfWork
from tests.demo.conftest import demo_container

CITY = "320582000000"
#: 2022-03-01 09:00 Beijing
MORNING = datetime(2022, 3, 1, 1, 0, tzinfo=UTC)


def _player(tmp_path: Path) -> tuple[_Player, list[int]]:
    container = demo_container(f"sqlite:///{tmp_path / 'player.db'}")
    with container.uow() as uow:
        regions.register_division(uow, code=CITY, name="港城市", level="city")
    commits: list[int] = []
    event.listen(container.db.engine, "commit", lambda _conn: commits.append(1))
    return _Player(DemoContext(container=container), random.Random(1)), commits


def _town(player: _Player, k: int) -> None:
    def act(_now: datetime) -> None:
        with player.uow() as uow:
            regions.register_division(uow, code=f"320582{100 + k:03d}000", name=f"镇{k}", parent_code=CITY)

    player.at(MORNING + timedelta(days=k // 4, hours=k % 4), act)


def _towns(player: _Player) -> list[str]:
    with UnitOfWork(player.ctx.container.db) as uow:
        return [d.code for d in regions.list_divisions(uow) if d.code != CITY]


def test_a_days_actions_are_committed_together(tmp_path: Path) -> None:
    player, commits = _player(tmp_path)
    for k in range(12):  # three days of four actions
        _town(player, k)
    player.run(MORNING + timedelta(days=10))
    assert len(commits) == 3  # one a day (it was one an action: 12)
    assert len(_towns(player)) == 12


def test_a_failing_action_leaves_its_day_unwritten_and_the_days_before_stand(tmp_path: Path) -> None:
    player, _ = _player(tmp_path)
    for k in range(8):  # two days of four actions
        _town(player, k)

    def fail(_now: datetime) -> None:
        raise RuntimeError("a bug in the stage")

    player.at(MORNING + timedelta(days=1, hours=5), fail)
    with pytest.raises(RuntimeError, match="a bug in the stage"):
        player.run(MORNING + timedelta(days=10))
    assert sorted(_towns(player)) == [f"320582{100 + k:03d}000" for k in range(4)]
