"""``greenport standards aqi|water|o2``: the rules of the field on the command line."""

from __future__ import annotations

from typing import Any

import typer

from greenport.cli.context import fail, print_json
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.standards import aqi as aqi_mod
from greenport.standards import emission, water
from greenport.standards.water import CLASS_LABELS

standards_app = typer.Typer(
    help="Standards: AQI (HJ 633), water class (GB 3838), O2 correction.", no_args_is_help=True
)

_ON = typer.Option(
    None, "--on", help="Date of the data (YYYY-MM-DD); picks the edition in force. Default: today."
)
_EDITION = typer.Option(None, "--edition", help="Explicit edition year, e.g. 2012 or 2026 (overrides --on).")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def _conc(name: str, unit: str) -> Any:
    return typer.Option(None, f"--{name}", f"--{name.replace('_', '-')}", help=f"{name} [{unit}]")


@standards_app.command("aqi")
def aqi_command(
    so2: float | None = _conc("so2", "µg/m³"),
    so2_24h: float | None = _conc("so2_24h", "µg/m³; 24-h mean, for 1-h SO2 > 800 under HJ 633-2012"),
    no2: float | None = _conc("no2", "µg/m³"),
    co: float | None = _conc("co", "mg/m³"),
    o3: float | None = _conc("o3", "µg/m³; 1-h (daily: max 1-h)"),
    o3_8h: float | None = _conc("o3_8h", "µg/m³; 8-h (daily: max 8-h)"),
    pm10: float | None = _conc("pm10", "µg/m³"),
    pm2_5: float | None = _conc("pm2_5", "µg/m³"),
    averaging: str = typer.Option(
        "hour", "--averaging", help="hour (real-time report) or day (daily report)."
    ),
    on: str | None = _ON,
    edition: str | None = _EDITION,
    as_json: bool = _JSON,
) -> None:
    """AQI, level, category and primary pollutant(s) per HJ 633 (edition by --on)."""
    values = {"so2": so2, "so2_24h": so2_24h, "no2": no2, "co": co, "o3": o3, "o3_8h": o3_8h}
    values.update({"pm10": pm10, "pm2_5": pm2_5})
    given = {key: value for key, value in values.items() if value is not None}
    try:
        if not given:
            raise InvalidInput("give at least one concentration, e.g. --pm2_5 80", field="concentrations")
        if averaging not in ("hour", "day"):
            raise InvalidInput(f"--averaging must be hour or day, got {averaging!r}", field="averaging")
        result = aqi_mod.aqi(given, averaging, on=on, edition=edition)  # type: ignore[arg-type]
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(result.to_dict())
        return
    if result.aqi is None:
        typer.echo(f"AQI: NA ({result.edition}; {'; '.join(result.notes) or 'no pollutant given'})")
        return
    typer.echo(f"AQI {result.aqi}  level {result.level} {result.category_zh} ({result.category_en})")
    typer.echo(f"colour {result.colour_en} {result.colour_hex}")
    typer.echo(f"primary pollutant: {result.primary_pollutants_zh or '-'}")
    typer.echo("IAQI: " + ", ".join(f"{key} {value}" for key, value in result.iaqi.items()))
    typer.echo(f"edition: {result.edition} ({result.averaging} report)")
    for note in result.notes:
        typer.echo(f"note: {note}")


@standards_app.command("water")
def water_command(
    waterbody: str = typer.Option("river", "--waterbody", help="river or lake (lakes and reservoirs)."),
    ph: float | None = _conc("ph", "pH"),
    do: float | None = _conc("do", "mg/L"),
    codmn: float | None = _conc("codmn", "mg/L"),
    cod: float | None = _conc("cod", "mg/L"),
    bod5: float | None = _conc("bod5", "mg/L"),
    nh3_n: float | None = _conc("nh3_n", "mg/L"),
    tp: float | None = _conc("tp", "mg/L"),
    tn: float | None = _conc("tn", "mg/L"),
    factor: list[str] = typer.Option(
        [], "--factor", help="Any other GB 3838 factor as key=value [mg/L], e.g. --factor f=0.8 (repeatable)."
    ),
    target: int | None = typer.Option(None, "--target", help="Target class 1-5: list factors exceeding it."),
    assess_tn: bool = typer.Option(False, "--assess-tn", help="Count TN in the class (lakes)."),
    on: str | None = _ON,
    as_json: bool = _JSON,
) -> None:
    """Water class (GB 3838-2002, single-factor method) and exceedances of a target class."""
    measurements: dict[str, float | None] = {
        "ph": ph, "do": do, "codmn": codmn, "cod": cod, "bod5": bod5, "nh3_n": nh3_n, "tp": tp, "tn": tn,
    }  # fmt: skip
    try:
        for item in factor:
            key, sep, text = item.partition("=")
            if not sep:
                raise InvalidInput(f"--factor needs key=value, got {item!r}", field="factor")
            try:
                measurements[key.strip()] = float(text)
            except ValueError:
                raise InvalidInput(f"--factor {key}: not a number: {text!r}", field=key.strip()) from None
        given = {key: value for key, value in measurements.items() if value is not None}
        if not given:
            raise InvalidInput("give at least one measurement, e.g. --cod 18", field="measurements")
        if waterbody not in ("river", "lake"):
            raise InvalidInput(f"--waterbody must be river or lake, got {waterbody!r}", field="waterbody")
        result = water.water_class(given, waterbody, on=on, assess_tn=assess_tn)  # type: ignore[arg-type]
        found = (
            water.exceedances(given, target, waterbody, on=on, assess_tn=assess_tn)  # type: ignore[arg-type]
            if target is not None
            else ()
        )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        body = result.to_dict()
        if target is not None:
            body["target"] = target
            body["exceedances"] = [
                {
                    "factor": e.factor,
                    "value": e.value,
                    "limit": e.limit,
                    "class": e.factor_class,
                    "multiple": e.multiple,
                }
                for e in found
            ]
        print_json(body)
        return
    typer.echo(f"class {result.label} ({result.status_zh})  determined by: {', '.join(result.determining)}")
    typer.echo("factors: " + ", ".join(f"{k} {CLASS_LABELS[v]}" for k, v in result.factor_classes.items()))
    if result.not_assessed:
        typer.echo(
            "not assessed: " + ", ".join(f"{k} {CLASS_LABELS[v]}" for k, v in result.not_assessed.items())
        )
    if target is not None:
        if not found:
            typer.echo(f"meets class {CLASS_LABELS[target]}")
        for e in found:
            multiple = "-" if e.multiple is None else f"{e.multiple:.2f}"
            typer.echo(
                f"exceeds class {CLASS_LABELS[target]}: {e.factor} = {e.value:g} (limit {e.limit}) x{multiple}"
            )
    typer.echo(f"edition: {result.edition}")


@standards_app.command("o2")
def o2_command(
    concentration: float = typer.Option(..., "--concentration", help="Measured concentration, dry [mg/m³]."),
    measured: float = typer.Option(..., "--measured", help="Measured O2 [%]."),
    reference: float = typer.Option(..., "--reference", help="Reference O2 of the standard [%]."),
    as_json: bool = _JSON,
) -> None:
    """Correct a concentration to the reference O2 (HJ 212-2017 App. D)."""
    try:
        corrected = emission.correct_to_reference_o2(concentration, measured, reference)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    body = {
        "concentration": concentration,
        "measured_o2": measured,
        "reference_o2": reference,
        "corrected": corrected,
        "unit": "mg/m³",
        "formula": "C × (21 − O2_ref) / (21 − O2_meas)",
    }
    if as_json:
        print_json(body)
    else:
        typer.echo(
            f"{corrected:.4g} mg/m³ at {reference:g} % O2 (measured {concentration:g} at {measured:g} %)"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(standards_app, name="standards")
