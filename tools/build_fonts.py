"""Build the CJK fonts GreenPort ships for its PDF reports (and its web pages) from a pinned source.

A report must look the same on every server, so the PDFs do not use whatever CJK font a machine
happens to have: they use ``greenport/reports/fonts/GreenPortSansSC-{Regular,Bold}.otf``, made by
this script. Run it from the repository root (it needs fontTools and pip, nothing else)::

    python tools/build_fonts.py            # fetches the pinned wheel from PyPI with pip
    python tools/build_fonts.py --wheel W  # or from a wheel already downloaded

Strategy:

* Source: the PyPI wheel ``manimgx-fonts-cjk`` (version and SHA-256 pinned below), which carries
  Noto Sans CJK 2.004 unmodified as the variable OpenType collection ``NotoSansCJK-VF.otf.ttc``
  (SIL OFL 1.1; its licence text is copied beside the fonts as ``OFL.txt``). From the collection
  we take the Simplified Chinese face, "Noto Sans CJK SC".
* Subset first (on the variable font, so the instancing below works on ~8k glyphs, not 65k):
  GB 2312 whole (levels 1 and 2: the 6,763 hanzi, plus its punctuation, full-width forms and
  symbols), ASCII, Latin-1, general punctuation, CJK symbols and punctuation, half/full-width
  forms, letter-like symbols and number forms, and every character found in the package's own
  text files (templates, demo data, standards' names), so nothing the documents print is missing.
* Instance at wght 400 (Regular) and 700 (Bold), downgrading CFF2 to CFF: PDF embeds CFF, not
  CFF2.
* Rename the family "GreenPort Sans SC" (PostScript ``GreenPortSansSC-Regular`` / ``-Bold``): the
  OFL asks a modified font to carry its own name, and the name lets a test tell the shipped font
  from a system "Noto Sans CJK SC" in a PDF.
* Fixed timestamps, so the same source gives byte-identical files (the script prints their
  SHA-256; ``SOURCES.md`` records them).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "greenport" / "reports" / "fonts"

SOURCE_PACKAGE = "manimgx-fonts-cjk"
SOURCE_VERSION = "2026.9.26.post1"
SOURCE_WHEEL_SHA256 = "05d5584c73877f37427cf0ca8067f5bacea2b596c7be79e8aedd634bb9f2b666"
SOURCE_MEMBER = "manimgx_fonts_cjk/NotoSansCJK-VF.otf.ttc"
SOURCE_LICENCE_SUFFIX = ".dist-info/licenses/LICENSE"
SOURCE_FAMILY = "Noto Sans CJK SC"

FAMILY = "GreenPort Sans SC"
POSTSCRIPT_FAMILY = "GreenPortSansSC"
WEIGHTS = {"Regular": 400, "Bold": 700}
#: head.created/modified of the output [s since 1904-01-01]: fixed, so rebuilds are identical.
FIXED_TIMESTAMP = 3_900_000_000

#: Unicode blocks kept whole besides GB 2312 [first, last] (inclusive).
RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (µ, ², ³, ·, ×, ...)
    (0x2000, 0x206F),  # general punctuation (—, …, ‰, ※)
    (0x2100, 0x218F),  # letter-like symbols and number forms (℃, Ⅰ-Ⅻ)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
#: The package's own text files whose characters are always kept.
SCANNED_SUFFIXES = {".html", ".py", ".csv", ".yaml", ".yml", ".json", ".js", ".css"}


def gb2312_characters() -> set[str]:
    """Every character of GB 2312-80 (rows 0xA1-0xF7, cells 0xA1-0xFE of EUC-CN)."""
    found: set[str] = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # an unassigned position
    return found


def package_characters() -> set[str]:
    """The non-ASCII characters of GreenPort's own text files (templates, data, names)."""
    found: set[str] = set()
    for path in sorted((ROOT / "greenport").rglob("*")):
        if path.suffix in SCANNED_SUFFIXES and "vendor" not in path.parts and path.is_file():
            found.update(ch for ch in path.read_text(encoding="utf-8", errors="ignore") if ord(ch) > 0x7E)
    return found


def wanted_codepoints() -> list[int]:
    chars = gb2312_characters() | package_characters()
    codepoints = {ord(ch) for ch in chars}
    for first, last in RANGES:
        codepoints.update(range(first, last + 1))
    return sorted(codepoints)


def fetch_wheel(directory: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(directory),
         f"{SOURCE_PACKAGE}=={SOURCE_VERSION}"],
        check=True,
    )  # fmt: skip
    (wheel,) = directory.glob("*.whl")
    return wheel


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rename(font: TTFont, style: str) -> None:
    """Give the subset its own names (OFL: a modified version does not keep the original's)."""
    name = font["name"]
    postscript = f"{POSTSCRIPT_FAMILY}-{style}"
    for record in list(name.names):
        if record.nameID in (1, 2, 3, 4, 6, 16, 17, 21, 22, 25):
            name.removeNames(nameID=record.nameID)
    for name_id, text in (
        (1, FAMILY),
        (2, style),
        (3, f"{postscript};subset of Noto Sans CJK SC 2.004"),
        (4, f"{FAMILY} {style}" if style != "Regular" else FAMILY),
        (6, postscript),
    ):
        name.setName(text, name_id, 3, 1, 0x409)
        name.setName(text, name_id, 1, 0, 0)
    bold = style == "Bold"
    font["OS/2"].usWeightClass = WEIGHTS[style]
    font["OS/2"].fsSelection = (font["OS/2"].fsSelection & ~0b1100001) | (0b100000 if bold else 0b1000000)
    font["head"].macStyle = 1 if bold else 0
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for key in ("FullName", "FamilyName"):
            if hasattr(top, key):
                setattr(top, key, f"{FAMILY} {style}" if key == "FullName" else FAMILY)


def build(wheel: Path) -> dict[str, str]:
    wheel_bytes = wheel.read_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as archive:
        collection_bytes = archive.read(SOURCE_MEMBER)
        (licence_member,) = [n for n in archive.namelist() if n.endswith(SOURCE_LICENCE_SUFFIX)]
        licence = archive.read(licence_member).decode("utf-8")
    collection = TTCollection(io.BytesIO(collection_bytes))
    (variable,) = [f for f in collection.fonts if f["name"].getDebugName(1) == SOURCE_FAMILY]

    options = subset.Options()
    # horizontal composition, kerning and ligatures are kept; vertical writing, the other
    # regions' localised forms ('locl': Japanese, Korean, traditional), alternates and hinting
    # are not: the reports are Simplified Chinese set horizontally and printed
    options.layout_features = ["ccmp", "calt", "kern", "liga", "rlig", "mark", "mkmk"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["DSIG", "vhea", "vmtx", "VORG", "VVAR"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_codepoints())
    subsetter.subset(variable)
    buffer = io.BytesIO()
    variable.save(buffer)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    digests = {"wheel": sha256(wheel_bytes)}
    for style, weight in WEIGHTS.items():
        buffer.seek(0)
        font = instancer.instantiateVariableFont(
            TTFont(buffer), {"wght": weight}, downgradeCFF2=True, static=True
        )
        for table in ("STAT", "MVAR", "HVAR", "VVAR", "avar", "fvar"):
            if table in font:
                del font[table]
        rename(font, style)
        font.recalcTimestamp = False
        font["head"].created = font["head"].modified = FIXED_TIMESTAMP
        out = io.BytesIO()
        font.save(out)
        path = OUT_DIR / f"{POSTSCRIPT_FAMILY}-{style}.otf"
        path.write_bytes(out.getvalue())
        digests[path.name] = sha256(out.getvalue())
    (OUT_DIR / "OFL.txt").write_text(licence, encoding="utf-8")
    return digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {SOURCE_PACKAGE} {SOURCE_VERSION} wheel")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        digest = sha256(wheel.read_bytes())
        if digest != SOURCE_WHEEL_SHA256:
            print(f"{wheel}: SHA-256 {digest}, expected {SOURCE_WHEEL_SHA256}", file=sys.stderr)
            return 1
        digests = build(wheel)
    for name, value in digests.items():
        print(f"{name}: sha256 {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
