"""``greenport serve``: run the web app with uvicorn."""

from __future__ import annotations

import typer

from greenport.accounts import service as accounts_service
from greenport.config import Settings


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def forwarding_options(settings: Settings) -> dict[str, object]:
    """uvicorn's handling of ``X-Forwarded-For`` / ``X-Forwarded-Proto``: believed only from
    ``GREENPORT_TRUSTED_PROXIES`` (uvicorn itself trusts 127.0.0.1 by default, so any local
    process, or a proxy that passes the header through, could choose its client address and
    with it the log-in limit and audit address). Empty: the socket's peer is the client."""
    trusted = settings.trusted_proxy_list
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted) if trusted else ""}


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="Address to listen on (default: GREENPORT_HOST, 127.0.0.1)."),
        port: int = typer.Option(None, help="Port (default: GREENPORT_PORT, 8000)."),
        database_url: str = typer.Option(None, "--database-url", help="Override GREENPORT_DATABASE_URL."),
        workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (at most one per core)."),
    ) -> None:
        """Serve the web app (pages and /api) on http://HOST:PORT."""
        import os

        import uvicorn

        from greenport.bootstrap import build, upgrade_database
        from greenport.web.app import create_app

        settings = Settings(database_url=database_url) if database_url else Settings()
        if settings.mode == "production":
            container = build(settings, migrate=True)
            try:
                with container.uow() as uow:
                    accounts_service.refuse_demo_accounts(uow, mode=settings.mode)
            except RuntimeError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from None
            finally:
                container.db.dispose()
        options = {
            **forwarding_options(settings),
            "host": host or settings.host,
            "port": port or settings.port,
            "log_level": settings.log_level.lower(),
            # uvicorn[standard]: uvloop's event loop and the httptools parser (C), several
            # times less CPU per request than asyncio + h11; plain asyncio/h11 if missing
            "loop": "uvloop" if _importable("uvloop") else "asyncio",
            "http": "httptools" if _importable("httptools") else "h11",
        }
        if workers == 1:
            uvicorn.run(create_app(settings, prewarm=True), **options)  # type: ignore[arg-type]
            return
        upgrade_database(settings.database_url)
        os.environ["GREENPORT_DATABASE_URL"] = settings.database_url
        uvicorn.run("greenport.web.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]
