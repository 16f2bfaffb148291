"""``greenport monitoring summary``: the city's published figures computed from stored data."""

from __future__ import annotations

import typer

from greenport.cli.context import container, print_json

monitoring_app = typer.Typer(help="Online monitoring: city figures from stored data.", no_args_is_help=True)


@monitoring_app.command("summary")
def summary(
    year: int = typer.Option(..., "--year", help="Calendar year (local, Asia/Shanghai)."),
    database: str = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """City PM2.5 annual mean, good-air-day ratio and water sections at class III or better."""
    from greenport.monitoring import service

    with container(database).uow() as uow:
        result = service.city_summary(uow, year=year).to_dict()
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"{year}: PM2.5 annual mean {result['pm2_5_annual_mean']} µg/m³ (valid: {result['pm2_5_valid']})"
    )
    typer.echo(f"good-air days {result['good_days']}/{result['valid_days']} = {result['good_day_ratio']} %")
    typer.echo(
        f"water sections at class III or better: {result['water_sections_class_iii_or_better']}"
        f"/{result['water_sections']}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(monitoring_app, name="monitoring")
