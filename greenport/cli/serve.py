"""``greenport serve``: run the web app with uvicorn."""

from __future__ import annotations

import typer

from greenport.config import Settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="Address to listen on (default: settings.host)."),
        port: int = typer.Option(None, help="Port (default: settings.port)."),
        database_url: str = typer.Option(None, "--database-url", help="Override GREENPORT_DATABASE_URL."),
    ) -> None:
        """Serve the web app (pages and /api) on http://HOST:PORT."""
        import uvicorn

        from greenport.web.app import create_app

        settings = Settings(database_url=database_url) if database_url else Settings()
        uvicorn.run(
            create_app(settings),
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
        )
