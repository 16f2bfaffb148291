"""``POST /api/registry/import/{kind}`` and the registry workbook: every row read or the file refused,
bounded files and error lists, parsing off the event loop, and no formula in what is exported."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from greenport import tabular
from greenport.standards.ids import make_credit_code
from greenport.storage import registry as reg
from greenport.web.api import registry as registry_api
from tests.tabular_files import corrupt_sheet, xlsx_declaring
from tests.web.conftest import TOWN_A, bearer

URL = "/api/registry/import/enterprises"
HEADERS = [
    "credit_code",
    "name",
    "industry_code",
    "town_code",
    "park_code",
    "land_area_mu",
    "lon",
    "lat",
    "size_class",
]


def _firm(sequence: int, name: str | None = None) -> list[Any]:
    code = make_credit_code("320582", sequence=900 + sequence)
    return [code, name or f"新企业{sequence}", "3120", TOWN_A, "", 12, 120.55, 31.95, "small"]


def _post(client: Any, city: Any, name: str, data: bytes) -> Any:
    return client.post(URL, headers=bearer(city, "city_admin"), files={"file": (name, data)})


def test_every_row_past_a_wrong_xlsx_dimension_is_imported(lite_app: Any, tmp_path: Path) -> None:
    client, city = lite_app
    path = xlsx_declaring(tmp_path / "firms.xlsx", HEADERS, [_firm(n) for n in range(1, 6)], "A1:I3")
    response = _post(client, city, "firms.xlsx", path.read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 5 and response.json()["outcome"]["written"] == 5
    names = {
        row["name"]
        for row in client.get("/api/enterprises", headers=bearer(city, "city_admin")).json()["data"]
    }
    assert {f"新企业{n}" for n in range(1, 6)} <= names


def test_a_request_is_answered_while_an_import_is_being_parsed(
    lite_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import holds its parse until the other request has been answered: were the parse on
    the event loop, the other request could not be answered before the import finished."""
    client, city = lite_app
    parsing, release = threading.Event(), threading.Event()
    read_table = tabular.read_table

    def held_read_table(*args: Any, **kwargs: Any) -> tabular.Table:
        parsing.set()
        release.wait(timeout=30)  # only reached in the failing case: the test never hangs
        return read_table(*args, **kwargs)

    monkeypatch.setattr(tabular, "read_table", held_read_table)
    monkeypatch.setattr(registry_api, "read_table", held_read_table, raising=False)
    finished: list[str] = []
    rows = "\n".join(",".join(str(v) for v in _firm(n)) for n in range(1, 4))
    upload = threading.Thread(
        target=lambda: finished.append(
            f"import {_post(client, city, 'firms.csv', (','.join(HEADERS) + chr(10) + rows).encode()).status_code}"
        )
    )
    upload.start()
    try:
        assert parsing.wait(timeout=30)
        towns = client.get("/api/towns", headers=bearer(city, "bureau_analyst"))
        finished.append(f"towns {towns.status_code}")
    finally:
        release.set()
        upload.join(timeout=60)
    assert finished == ["towns 200", "import 200"]


def test_a_file_beyond_the_limits_is_refused_naming_the_limit(
    lite_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, city = lite_app
    settings = client.app.state.container.settings
    csv_file = (
        ",".join(HEADERS) + "\n" + "\n".join(",".join(map(str, _firm(n))) for n in range(1, 6))
    ).encode()
    monkeypatch.setattr(settings, "import_max_rows", 4)
    rows = _post(client, city, "firms.csv", csv_file)
    assert rows.status_code == 422
    assert (
        rows.json()["limit"] == "GREENPORT_IMPORT_MAX_ROWS"
        and "more than 4 data rows" in rows.json()["error"]
    )
    monkeypatch.setattr(settings, "import_max_bytes", 100)
    size = _post(client, city, "firms.csv", csv_file)
    assert size.status_code == 422 and size.json()["limit"] == "GREENPORT_IMPORT_MAX_BYTES"
    monkeypatch.setattr(settings, "import_max_bytes", 20 * 1024 * 1024)
    monkeypatch.setattr(settings, "import_max_cell_chars", 50)
    long_name = "名" * 5000
    cell = _post(
        client,
        city,
        "firms.csv",
        (",".join(HEADERS) + "\n" + ",".join(map(str, _firm(1, long_name)))).encode(),
    )
    assert cell.status_code == 422 and cell.json()["limit"] == "GREENPORT_IMPORT_MAX_CELL_CHARS"
    assert (cell.json()["row"], cell.json()["column"]) == (2, "name") and long_name not in cell.text
    assert (
        client.get("/api/enterprises", headers=bearer(city, "city_admin")).json()["count"] == 2
    )  # none written


def test_the_error_list_is_bounded_and_counts_every_error(lite_app: Any) -> None:
    client, city = lite_app
    bad = "X" * 300  # a credit code far too long: echoed cut, not whole
    lines = [",".join(HEADERS)] + [
        ",".join([bad, f"f{n}", "31", TOWN_A, "", "-1", "0", "0", "huge"]) for n in range(150)
    ]
    response = _post(client, city, "bad.csv", "\n".join(lines).encode())
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "InvalidRows"
    assert len(body["errors"]) == body["errors_shown"] == 100
    assert body["error_count"] >= 150 * 5  # every error of every row is counted
    echoed = [e["value"] for e in body["errors"] if e["column"] == "credit_code"]
    assert echoed and all(v == "X" * 80 + "…" for v in echoed)
    assert len(response.content) < 64 * 1024


def test_a_corrupt_sheet_answers_422_naming_the_file_and_sheet(lite_app: Any, tmp_path: Path) -> None:
    client, city = lite_app
    response = _post(client, city, "broken.xlsx", corrupt_sheet(tmp_path / "broken.xlsx").read_bytes())
    assert response.status_code == 422
    assert response.json()["type"] == "InvalidInput"
    assert response.json()["error"].startswith("broken.xlsx, sheet 'data' cannot be read")


def test_a_firm_named_like_a_formula_is_exported_as_text(lite_app: Any) -> None:
    client, city = lite_app
    hostile = "=cmd|' /C calc'!A0"
    with client.app.state.container.uow() as uow:
        uow.session.get(reg.EnterpriseRow, city.ids["e1"]).name = hostile
    client.app.state.hot.invalidate()
    response = client.get("/api/registry/export.xlsx", headers=bearer(city, "city_admin"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["enterprises"]
    column = [c.value for c in sheet[1]].index("name") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    named = [c for c in cells if c.value == hostile]
    assert len(named) == 1 and named[0].data_type == "s" and named[0].quotePrefix
    lons = [c for c in sheet[2] if isinstance(c.value, float)]
    assert lons and all(c.data_type == "n" for c in lons)  # numbers stay numbers
