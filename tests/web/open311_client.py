"""A small Open311 GeoReport v2 client written from the specification alone
(https://wiki.open311.org/GeoReport_v2): it knows the six methods, the two formats and the error
list, and nothing of GreenPort (it must not import ``greenport``), so the tests that use it prove
what an existing citizen app would see."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Open311Failure(Exception):
    """An answer with an error list: the HTTP status and the (code, description) pairs."""

    status: int
    errors: list[tuple[int, str]]


def _rows(element: ET.Element) -> list[dict[str, Any]]:
    """The children of a list root as dicts of their children's text."""
    return [{child.tag: (child.text or "") for child in item} for item in element]


class GeoReportClient:
    """``endpoint``: the base URL of the GeoReport v2 endpoint (``.../open311/v2``);
    ``fmt``: ``xml`` (required by the specification) or ``json``."""

    def __init__(self, http: httpx.Client, endpoint: str = "/open311/v2", fmt: str = "xml") -> None:
        self.http, self.endpoint, self.fmt = http, endpoint.rstrip("/"), fmt

    def _parse(self, response: httpx.Response) -> Any:
        if self.fmt == "json":
            body = response.json()
        else:
            assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
            root = ET.fromstring(response.content)
            body = root if root.tag == "service_definition" else (root.tag, _rows(root))
        if response.status_code >= 400:
            if self.fmt == "json":
                errors = [(int(e["code"]), e["description"]) for e in body]
            else:
                tag, rows = body
                assert tag == "errors"
                errors = [(int(e["code"]), e["description"]) for e in rows]
            raise Open311Failure(response.status_code, errors)
        return body

    def _list(self, response: httpx.Response, root: str) -> list[dict[str, Any]]:
        body = self._parse(response)
        if self.fmt == "json":
            return list(body)
        tag, rows = body
        assert tag == root, tag
        return rows

    def services(self) -> list[dict[str, Any]]:
        return self._list(self.http.get(f"{self.endpoint}/services.{self.fmt}"), "services")

    def service_definition(self, service_code: str) -> Any:
        return self._parse(self.http.get(f"{self.endpoint}/services/{service_code}.{self.fmt}"))

    def post_request(
        self, fields: dict[str, Any], media: tuple[str, bytes, str] | None = None
    ) -> dict[str, Any]:
        """POST requests: form-encoded, or multipart when a ``media`` file is sent."""
        data = {key: str(value) for key, value in fields.items()}
        files = {"media": media} if media is not None else None
        response = self.http.post(f"{self.endpoint}/requests.{self.fmt}", data=data, files=files)
        rows = self._list(response, "service_requests")
        assert len(rows) == 1
        return rows[0]

    def requests(self, **filters: str) -> list[dict[str, Any]]:
        return self._list(
            self.http.get(f"{self.endpoint}/requests.{self.fmt}", params=filters), "service_requests"
        )

    def request(self, service_request_id: str) -> dict[str, Any]:
        rows = self._list(
            self.http.get(f"{self.endpoint}/requests/{service_request_id}.{self.fmt}"), "service_requests"
        )
        assert len(rows) == 1
        return rows[0]

    def token(self, token: str) -> dict[str, Any]:
        rows = self._list(self.http.get(f"{self.endpoint}/tokens/{token}.{self.fmt}"), "service_requests")
        assert len(rows) == 1
        return rows[0]


def as_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False)
