"""The PDFs are set in the font GreenPort ships, whatever fonts the server has.

A bulletin rendered here and one rendered on a server with no CJK font at all must embed the same
font ("GreenPort Sans SC", ``greenport/reports/fonts``) and carry real Chinese text. The second
half runs the CLI with fontconfig pointed at a configuration with no font directory, so not one
system font is visible to it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from greenport.reports import render, service
from tests.reports.conftest import ISSUED

ROOT = Path(__file__).resolve().parents[2]
TITLE = "环境质量月报"
SHIPPED_FONTS = {"GreenPort-Sans-SC", "GreenPort-Sans-SC-Bold"}  # as WeasyPrint names them


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of every font the PDF embeds (the subset tag ``ABCDEF+`` removed)."""
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            base = str(font.get_object()["/BaseFont"]).lstrip("/")
            names.add(base.split("+", 1)[-1])
    return names


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_bulletin_pdf_embeds_only_the_shipped_font(lite_app: Any) -> None:
    client, _city = lite_app
    with client.app.state.container.uow() as uow:
        bulletin = service.bulletin(uow, month="2022-06", issued_on=ISSUED)
    pdf = render.bulletin_bytes(bulletin, "pdf")
    assert embedded_fonts(pdf) == SHIPPED_FONTS  # regular text and bold headings, nothing else
    text = pdf_text(pdf)
    assert f"{bulletin.city_name}{TITLE}" in text and "优良天数比例" in text and "56.7" in text


def test_the_scorecard_pdf_embeds_only_the_shipped_font(lite_app: Any) -> None:
    client, _city = lite_app
    with client.app.state.container.uow() as uow:
        card = service.scorecard(uow, period="2022-06")
    pdf = render.scorecard_bytes(card, "pdf")
    assert embedded_fonts(pdf) == SHIPPED_FONTS
    assert "杨舍镇" in pdf_text(pdf)


def test_the_bulletin_needs_no_system_font(lite_app: Any, tmp_path: Path) -> None:
    """``greenport report bulletin`` with fontconfig seeing no font at all gives the same fonts."""
    client, _city = lite_app
    url = client.app.state.container.settings.database_url
    config = tmp_path / "fonts.conf"
    config.write_text(  # no <dir>: fontconfig knows no font but the ones a document declares
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": str(ROOT)}
    env.pop("FONTCONFIG_PATH", None)
    if shutil.which("fc-list"):  # the configuration really hides every installed font
        listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=True)
        assert listed.stdout.strip() == ""
    out = tmp_path / "bulletin.pdf"
    cli = "from greenport.cli.main import app; app()"
    command = [sys.executable, "-c", cli, "report", "bulletin", "--month", "2022-06"]
    command += ["--format", "pdf", "--out", str(out), "--database-url", url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    pdf = out.read_bytes()
    assert embedded_fonts(pdf) == SHIPPED_FONTS
    assert TITLE in pdf_text(pdf)


def test_the_font_files_are_installed_with_the_package() -> None:
    """pyproject's package data takes the fonts and their licence into the wheel."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["*"]
    fonts = render.FONTS_DIR
    shipped = [*render.PDF_FONT_FILES.values(), "OFL.txt", "SOURCES.md"]
    for name in shipped:
        assert (fonts / name).is_file(), name
        relative = f"{fonts.name}/{name}"
        assert any(fnmatch(relative, p) or fnmatch(name, p) for p in patterns), relative


def test_a_missing_font_file_is_an_installation_error(monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setattr(render, "FONTS_DIR", tmp_path)
    try:
        render.font_faces()
    except FileNotFoundError as error:
        assert "GreenPortSansSC-Regular.otf" in str(error) and "reinstall" in str(error)
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a missing report font must not fall back silently to system fonts")


def test_pages_use_the_same_font_served_by_the_app(lite_app: Any) -> None:
    """The pages ask for the shipped font, which the app itself serves: a browser on a machine with
    no Chinese font still shows the page's text as the PDF does (charts on canvas keep ECharts'
    own fonts: with the web font their category labels were measured short and clipped)."""
    client, _city = lite_app
    css = client.get("/static/greenport.css").text
    assert '"GreenPort Sans SC"' in css and "/fonts/GreenPortSansSC-Regular.otf" in css
    for weight, filename in render.PDF_FONT_FILES.items():
        served = client.get(f"/fonts/{filename}")
        assert served.status_code == 200, weight
        assert served.content == (render.FONTS_DIR / filename).read_bytes()
        assert served.headers["content-security-policy"]  # served behind the same headers
