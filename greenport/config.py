"""Settings: one class, read from ``GREENPORT_*`` environment variables and a ``.env`` file.

Only entry points (CLI, web app factory, ingest server) read settings; everything below them
gets plain values. Unsafe defaults (the demo secret key, demo log-ins) are refused outside the
``demo`` and ``development`` modes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET_KEY = "greenport-demo-secret-key-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GREENPORT_", env_file=".env", extra="ignore")

    mode: Literal["demo", "development", "production"] = Field(
        "development", description="demo | development | production; production refuses unsafe defaults."
    )
    database_url: str = Field(
        "sqlite:///greenport.db",
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql://user:pw@host/db.",
    )
    secret_key: str = Field(
        DEMO_SECRET_KEY, description="Key that signs session cookies and tokens; must be set in production."
    )
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(8000, description="Port of the web app.")
    ingest_host: str = Field("127.0.0.1", description="Address the HJ 212 server listens on.")
    ingest_port: int = Field(9212, description="Port of the HJ 212 TCP server.")
    ingest_max_connections_per_address: int = Field(
        100,
        ge=1,
        description="Open HJ 212 connections one source address may hold (loggers behind one NAT share "
        "an address; a flood from one address cannot take every slot).",
    )
    ingest_frame_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds from the first byte of a frame to its acceptance; a slower sender is cut "
        "(counted from the first byte, so trickling a byte a second does not hold a slot).",
    )
    ingest_quarantine_rate: float = Field(
        1.0,
        ge=0,
        description="Quarantine entries stored per second per source address after the burst "
        "(what is over is counted in /metrics, not stored).",
    )
    ingest_quarantine_burst: int = Field(
        60, ge=0, description="Quarantine entries one source address may have stored at once."
    )
    ingest_quarantine_raw_limit: int = Field(
        10017,
        ge=64,
        description="Bytes of a refused item's raw bytes kept in the quarantine (default: the largest "
        "HJ 212 frame); longer junk keeps this prefix, its length and its SHA-256.",
    )
    ingest_quarantine_retention_days: float = Field(
        90.0,
        ge=0,
        description="Days quarantine entries are kept before the ingest server deletes them "
        "(0 = kept for ever; also `greenport ingest quarantine --purge`).",
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        "FULL",
        description="SQLite PRAGMA synchronous; FULL makes every acknowledged commit survive power loss.",
    )
    token_max_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Longest lifetime of an API bearer token [days]; no token lives longer or for ever.",
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "Comma-separated addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For / "
            "X-Forwarded-Proto headers are trusted; empty (default): none, the socket's peer is the client."
        ),
    )
    data_dir: Path = Field(Path("var"), description="Folder for spool files, reports and uploads.")
    log_level: str = Field("INFO", description="Python logging level.")
    issuer: str | None = Field(
        None,
        description="Issuing body printed on the reports (default: the city's name + 生态环境局, e.g. 港城市生态环境局).",
    )
    import_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1,
        description="Largest registry import file [bytes]; an .xlsx may unzip to at most 10 times this.",
    )
    import_max_rows: int = Field(100_000, ge=1, description="Most data rows of one registry import file.")
    table_language: Literal["zh", "en"] = Field(
        "zh",
        description="Language of import templates and registry exports: column headers, the guide sheet "
        "and the names of coded values (zh: 中文, en: English). Imports accept either language.",
    )
    import_max_cell_chars: int = Field(
        10_000, ge=1, description="Longest cell of a registry import file [characters]."
    )
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body the web app reads [bytes]; a bigger one answers 413 before parsing.",
    )
    max_upload_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest request body of an upload [bytes]: a registry import (/api/registry/import/...), "
            "the public report form (/report) and Open311 POST requests with photos."
        ),
    )
    public_url: str = Field(
        "",
        description="Address of the web app as its users reach it (e.g. https://greenport.example.gov.cn); "
        "makes the links in e-mail and robot notifications absolute. Empty: links are paths.",
    )
    alarm_rules: Path | None = Field(
        None,
        description="YAML file of alarm rules (docs/alarms.md); default: the shipped "
        "greenport/alarms/data/rules.yaml.",
    )
    alarm_interval: float = Field(
        2.0, ge=0, le=60, description="Seconds between passes of the alarm evaluator in ingest; 0 = none."
    )
    case_timer_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds between passes of the case deadline timer (reminders, 催办, escalation) in "
        "the alarm evaluator's process.",
    )
    notification_routes: Path | None = Field(
        None,
        description="YAML file of notification routes and retry policy (docs/notifications.md); "
        "default: the shipped greenport/notifications/data/routes.yaml.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail notifications; unset: e-mail rows wait in the outbox."
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server (25, 587 with STARTTLS).")
    smtp_user: str | None = Field(None, description="SMTP log-in user (unset: no log-in).")
    smtp_password: SecretStr | None = Field(None, description="SMTP log-in password (never logged).")
    smtp_from: str = Field("greenport@localhost", description="From address of notification e-mail.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before log-in.")

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.mode == "production" and (self.secret_key == DEMO_SECRET_KEY or len(self.secret_key) < 32):
            raise ValueError(
                "GREENPORT_SECRET_KEY must be set to a random string of at least 32 characters "
                "in production mode (the demo key is refused)"
            )
        return self

    @property
    def demo_logins_allowed(self) -> bool:
        """Demo accounts (public, computable passwords) may log in: demo and development only."""
        return self.mode in ("demo", "development")

    @property
    def trusted_proxy_list(self) -> list[str]:
        """:attr:`trusted_proxies` as a list (empty: trust no forwarded header)."""
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
