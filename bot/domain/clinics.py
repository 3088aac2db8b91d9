"""Clinic directory: load a CSV, order clinics by distance (pure but for reading the file).

The CSV has the columns name, address, lat, lon, phone, url, dermatology, urgent_same_day
(optional: name_en and address_en, shown to English-speaking patients; id)
(yes/no, true/false or 1/0), and optionally id (the clinic's id in the workspace and
`python -m bot staff add --clinic ID`; without one, a short hash of name and address). Lines
starting with '#' are comments. The bundled file
bot/data/clinics_sendai_sample.csv is SAMPLE data (fictional clinics); point ADAI_CLINICS_CSV
(settings.clinics_csv) at a real directory to use one.
"""

import csv
import dataclasses
import hashlib
import io
import math
from pathlib import Path

SAMPLE_CSV = Path(__file__).parent.parent / "data" / "clinics_sendai_sample.csv"
COLUMNS = ("name", "address", "lat", "lon", "phone", "url", "dermatology", "urgent_same_day")
EARTH_RADIUS_KM = 6371.0088
NEAREST_N = 3
TRUE_WORDS = {"yes", "true", "1", "y", "はい"}
FALSE_WORDS = {"no", "false", "0", "n", "", "いいえ"}


class ClinicFileError(ValueError):
    """The clinic CSV lacks a column or has a value that cannot be read."""


@dataclasses.dataclass(frozen=True)
class Clinic:
    name: str
    address: str
    lat: float
    lon: float
    phone: str
    url: str
    dermatology: bool
    urgent_same_day: bool
    sample: bool = False
    id: str = ""
    name_en: str = ""  # optional columns name_en, address_en: for English-speaking patients
    address_en: str = ""

    def name_in(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    def address_in(self, lang: str) -> str:
        return self.address_en if lang == "en" and self.address_en else self.address


def _flag(text, line):
    word = (text or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ClinicFileError(f"line {line}: expected yes/no, got {text!r}")


def _clinic(row, line, sample):
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError) as error:
        raise ClinicFileError(f"line {line}: lat/lon must be numbers") from error
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ClinicFileError(f"line {line}: lat/lon out of range")
    return Clinic(
        name=row["name"].strip(), address=row["address"].strip(), lat=lat, lon=lon,
        phone=(row["phone"] or "").strip(), url=(row["url"] or "").strip(),
        dermatology=_flag(row["dermatology"], line),
        urgent_same_day=_flag(row["urgent_same_day"], line), sample=sample,
        id=(row.get("id") or "").strip() or derived_id(row["name"], row["address"]),
        name_en=(row.get("name_en") or "").strip(), address_en=(row.get("address_en") or "").strip(),
    )


def derived_id(name, address):
    """A stable id for a clinic the CSV gives none (the same row always gets the same one)."""
    return "c" + hashlib.sha256(f"{name.strip()}|{address.strip()}".encode()).hexdigest()[:10]


def by_id(clinics, clinic_id):
    return next((clinic for clinic in clinics if clinic.id == clinic_id), None)


def parse(text, sample=False):
    lines = [line for line in io.StringIO(text) if not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ClinicFileError(f"missing columns: {', '.join(sorted(missing))}")
    return [_clinic(row, number, sample) for number, row in enumerate(reader, start=2)]


def load(path=None):
    """Clinics from path, else the Sendai SAMPLE file."""
    path = Path(path or SAMPLE_CSV)
    return parse(path.read_text(encoding="utf-8-sig"), sample=path == SAMPLE_CSV)


def cached(cache: dict, path=None):
    """The clinic list read once per app (cache: the app's services.features)."""
    if "clinics" not in cache:
        cache["clinics"] = load(path)
    return cache["clinics"]


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest(clinics, lat, lon, n=NEAREST_N, urgent_first=False):
    """[(clinic, km)] closest first; with urgent_first, same-day clinics before all others."""
    ranked = sorted(
        ((clinic, distance_km(lat, lon, clinic.lat, clinic.lon)) for clinic in clinics),
        key=lambda pair: (urgent_first and not pair[0].urgent_same_day, pair[1]),
    )
    return ranked[:n]


def map_url(clinic):
    return f"https://www.google.com/maps/search/?api=1&query={clinic.lat:.6f},{clinic.lon:.6f}"


def tel_uri(clinic):
    digits = "".join(ch for ch in clinic.phone if ch.isdigit() or ch == "+")
    return f"tel:{digits}" if digits else None
