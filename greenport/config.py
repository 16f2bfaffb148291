"""Settings: one class, read from ``GREENPORT_*`` environment variables and a ``.env`` file.

Only entry points (CLI, web app factory, ingest server) read settings; everything below them
gets plain values. Unsafe defaults (the demo secret key, demo log-ins) are refused outside the
``demo`` and ``development`` modes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
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
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        "FULL",
        description="SQLite PRAGMA synchronous; FULL makes every acknowledged commit survive power loss.",
    )
    data_dir: Path = Field(Path("var"), description="Folder for spool files, reports and uploads.")
    log_level: str = Field("INFO", description="Python logging level.")
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body the web app reads [bytes]; a bigger one answers 413 before parsing.",
    )
    max_upload_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        description="Largest request body of a registry import upload (/api/registry/import/...) [bytes].",
    )

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
        return self.mode in ("demo", "development")


@lru_cache
def get_settings() -> Settings:
    return Settings()
