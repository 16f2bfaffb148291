"""A demo city built once per test session (SQLite, fast mode) and shared by the demo tests."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from greenport.bootstrap import Container, build
from greenport.config import Settings
from greenport.demo.build import build_demo
from greenport.demo.context import DemoContext

DATA = Path(__file__).resolve().parents[1] / "data" / "demo"


def seed_figure(figure_id: str) -> float:
    """The value of one row of the seed-figure table (tests/data/demo/seed_figures.csv)."""
    with open(DATA / "seed_figures.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["id"] == figure_id:
                return float(row["value"])
    raise KeyError(figure_id)


def demo_container(url: str) -> Container:
    return build(Settings(database_url=url, mode="demo"), migrate=True)


@pytest.fixture(scope="session")
def demo_city(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Container, DemoContext, dict[str, Any]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    container = demo_container(url)
    ctx, summary = build_demo(container, fast=True)
    try:
        yield container, ctx, summary
    finally:
        container.db.dispose()
