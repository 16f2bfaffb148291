"""Property-based fuzzing of the whole JSON API from its OpenAPI schema (Schemathesis).

Every operation of ``/api/openapi.json`` is called in process (ASGI) on the small test city, as
each caller of :data:`tests.web.scope_check.CALLERS` (every role, a park-scoped department user,
anonymous), with valid and invalid inputs generated from the schema. Each answer must:

* not be a server error (no 500, whatever the input);
* conform to the schema: a documented status, content type and body (errors included);
* hold no row outside the caller's scope (:func:`tests.web.scope_check.rows_outside`).

Bounded for CI: ``MAX_EXAMPLES`` per operation, mode and caller, derandomized (the same cases on
every run), no example database: about 70 s on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import City, _served_city
from tests.web.scope_check import CALLERS, DISCLOSED_PATHS, rows_outside, workbook_rows

#: Examples per operation, generation mode and caller.
MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Operations that change state: fuzzed for errors, but as a caller whose change is harmless.
#: (Log-out and token creation would end or multiply the caller's own credential.)
SKIPPED = {("POST", "/api/auth/logout")}


@pytest.fixture(scope="module")
def fuzz_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, City]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'greenport.db'}"
    with _served_city(url) as served:
        yield served


def _headers(city: City, caller: str) -> dict[str, str]:
    return {} if caller == "anonymous" else {"Authorization": f"Bearer {city.tokens[caller]}"}


def _scope_problems(response: Any, caller: str, city: City, path: str) -> list[str]:
    if response.status_code != 200 or path.startswith(DISCLOSED_PATHS):
        return []
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if content_type.startswith("application/json"):
        return rows_outside(response.json(), caller, city)
    if content_type.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        return rows_outside(workbook_rows(response.content), caller, city)
    return []


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_as_every_caller(fuzz_city: tuple[Any, City], caller: str) -> None:
    client, city = fuzz_city
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    headers = _headers(city, caller)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
                problems = _scope_problems(response, caller, city, case.operation.path)
                assert not problems, f"{case.method} {case.formatted_path} as {caller}: {problems}"

            try:
                call()
            except Unsatisfiable:  # no invalid input exists (an operation without parameters)
                assert mode is GenerationMode.NEGATIVE, f"{operation.method} {operation.path}"
