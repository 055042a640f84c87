#!/usr/bin/env python3
"""Builds data/gaziantep.json and data/holidays.json from the gathered sources.

Usage (from the repository root):

    python3 data/tools/build_reference.py [SOURCE_DIR]

SOURCE_DIR defaults to ../shared/data and must hold
`gaziantep-neighbourhoods.json` and `tr-holidays-2024-2030.json`.
The sources are only read here; the program itself ships the JSON outputs
and never reads SOURCE_DIR at run time. Re-running is idempotent.
"""

import datetime as dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

FOLD = str.maketrans({
    "ç": "c", "Ç": "C", "ğ": "g", "Ğ": "G", "ı": "i", "I": "I", "İ": "I",
    "ö": "o", "Ö": "O", "ş": "s", "Ş": "S", "ü": "u", "Ü": "U",
    "â": "a", "Â": "A", "î": "i", "Î": "I", "û": "u", "Û": "U",
})


def district_code(name: str) -> str:
    """`Şehitkamil` -> `SEHITKAMIL` (ASCII upper case, letters only)."""
    folded = name.translate(FOLD).upper()
    return "".join(c for c in folded if c.isalnum())


# Aliases: names citizens use that Turkish folding alone does not map onto
# the official name (spelling variants, expansions of abbreviations). Old
# neighbourhood names merged away (e.g. İsmetpaşa, Kurtuluş) are NOT in the
# source list, and which current neighbourhood absorbed them is not known
# from a public source, so they are left for an admin to add.
# Key: (district name, neighbourhood name) -> aliases.
ALIASES = {
    ("Şahinbey", "İbn-i Sina"): ["İbni Sina"],
    ("Şahinbey", "Abdülhamid Han"): ["Abdülhamit Han", "Abdülhamit"],
    ("Şahinbey", "Kumruhamurkesen"): ["Kumru Hamurkesen"],
    ("Şahinbey", "Nuripazarbaşı"): ["Nuri Pazarbaşı"],
    ("Şahinbey", "Muhacirosman"): ["Muhacir Osman"],
    ("Şahinbey", "Burç Esentepe"): ["Burçesentepe"],
    ("Şahinbey", "Burç Karakuyu"): ["Burçkarakuyu"],
    ("Şahinbey", "Şahinbey Mülk"): ["Mülk"],
    ("Şahinbey", "60. Yıl"): ["Altmışıncı Yıl"],
    ("Şahinbey", "75. Yıl"): ["Yetmiş Beşinci Yıl"],
    ("Şahinbey", "23 Nisan"): ["Yirmi Üç Nisan"],
    ("Şahinbey", "25 Aralık"): ["Yirmi Beş Aralık"],
    ("Şehitkamil", "15 Temmuz"): ["On Beş Temmuz"],
    ("Şehitkamil", "29 Ekim"): ["Yirmi Dokuz Ekim"],
    ("Şehitkamil", "8 Şubat"): ["Sekiz Şubat"],
    ("Şehitkamil", "Alpaslan"): ["Alparslan"],
    ("Şehitkamil", "Selahattin Eyyubi"): ["Selahaddin Eyyubi", "Selahaddin-i Eyyubi"],
    ("Şehitkamil", "Aşağı Arıl"): ["Aşağıarıl"],
    ("Şehitkamil", "Yukarı Arıl"): ["Yukarıarıl"],
    ("Şehitkamil", "Kızık Karasakal"): ["Kızıkkarasakal"],
    ("Şehitkamil", "Kızıkhamurkesen"): ["Kızık Hamurkesen"],
    ("Şehitkamil", "İncili Pınar"): ["İncilipınar"],
    ("Şehitkamil", "Onat Kutlar"): ["Onatkutlar"],
    ("Şehitkamil", "Eyüpsultan"): ["Eyüp Sultan"],
    ("Şehitkamil", "Pirsultan"): ["Pir Sultan"],
    ("Şehitkamil", "Başpınar OSB"): [
        "Başpınar Organize Sanayi Bölgesi", "Organize Sanayi", "Gaziantep OSB",
    ],
    ("Şehitkamil", "Sinan OSB"): ["Sinan Organize Sanayi Bölgesi"],
    ("Şehitkamil", "Aktoprak SB"): ["Aktoprak Sanayi Bölgesi"],
    ("Nizip", "Nizip OSB"): ["Nizip Organize Sanayi Bölgesi"],
    ("Oğuzeli", "Çaybaşı OSB"): ["Çaybaşı Organize Sanayi Bölgesi", "Oğuzeli OSB"],
}


def build_places(src_dir: str) -> dict:
    with open(os.path.join(src_dir, "gaziantep-neighbourhoods.json"), encoding="utf-8") as f:
        src = json.load(f)
    used = set()
    districts = []
    for d in src["districts"]:
        hoods = []
        for n in d["neighbourhoods"]:
            aliases = list(ALIASES.get((d["name"], n["name"]), []))
            if (d["name"], n["name"]) in ALIASES:
                used.add((d["name"], n["name"]))
            # "Belkıs (Merkez)": citizens say "Belkıs".
            if "(" in n["name"]:
                aliases.insert(0, n["name"].split("(")[0].strip())
            hoods.append({
                "name": n["name"],
                "aliases": aliases,
                "postal_codes": n["postalCodes"],
                "population": n["population"],
                "tuik_id": n["tuikId"],
                "in_tuik_list": n["inTuikList"],
            })
        assert len(hoods) == d["pttCount"], d["name"]
        districts.append({
            "code": district_code(d["name"]),
            "name": d["name"],
            "population": d["tuik2025Population"],
            "neighbourhoods": hoods,
        })
    missing = set(ALIASES) - used
    assert not missing, f"aliases for unknown neighbourhoods: {missing}"
    total = sum(len(d["neighbourhoods"]) for d in districts)
    assert len(districts) == 9 and total == 786, (len(districts), total)
    return {"province": "Gaziantep", "plate": 27, "districts": districts}


def build_holidays(src_dir: str) -> dict:
    with open(os.path.join(src_dir, "tr-holidays-2024-2030.json"), encoding="utf-8") as f:
        src = json.load(f)
    full = {}
    half = {}
    for _year, lists in sorted(src["years"].items()):
        for h in lists["public"]:
            assert h["date"] not in full
            full[h["date"]] = h["name"]
        for h in lists["half_day"]:
            # "Kurban Bayramı (saat 13.00'ten)" -> "Kurban Bayramı Arifesi".
            name = h["name"].replace(" (saat 13.00'ten)", "")
            name = name + " Arifesi" if "Bayramı" in name else name
            half[h["date"]] = name

    # Number the days of the religious holidays: "Ramazan Bayramı (2. gün)".
    out = []
    run = {"Ramazan Bayramı": None, "Kurban Bayramı": None}
    for date in sorted(full):
        name = full[date]
        day = dt.date.fromisoformat(date)
        parts = []
        for part in name.split("; "):
            if part in run:
                last = run[part]
                if last and (day - last[0]).days == 1:
                    n = last[1] + 1
                else:
                    n = 1
                run[part] = (day, n)
                part = f"{part} ({n}. gün)"
            parts.append(part)
        out.append({"date": date, "name": "; ".join(parts), "kind": "full"})
    for date, name in half.items():
        if date in full:
            # A half day on a full holiday (2029-04-23: 23 Nisan and the eve
            # of Kurban Bayramı) is a full day; keep both names.
            for h in out:
                if h["date"] == date:
                    h["name"] = f"{h['name']}; {name}"
            continue
        out.append({"date": date, "name": name, "kind": "half"})
    out.sort(key=lambda h: h["date"])
    years = {h["date"][:4] for h in out}
    assert years == {str(y) for y in range(2024, 2031)}, years
    return {"holidays": out}


def compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_places(path: str, places: dict) -> None:
    """One neighbourhood per line, so that diffs stay readable."""
    lines = ["{", f' "province": {compact(places["province"])},', f' "plate": {places["plate"]},', ' "districts": [']
    for i, d in enumerate(places["districts"]):
        lines.append("  {")
        lines.append(f'   "code": {compact(d["code"])}, "name": {compact(d["name"])}, "population": {d["population"]},')
        lines.append('   "neighbourhoods": [')
        hoods = d["neighbourhoods"]
        for j, n in enumerate(hoods):
            lines.append("    " + compact(n) + ("," if j + 1 < len(hoods) else ""))
        lines.append("   ]")
        lines.append("  }" + ("," if i + 1 < len(places["districts"]) else ""))
    lines += [" ]", "}"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    assert json.load(open(path, encoding="utf-8")) == places


def write_holidays(path: str, cal: dict) -> None:
    rows = [" " + compact(h) for h in cal["holidays"]]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"holidays": [\n' + ",\n".join(rows) + "\n]}\n")
    assert json.load(open(path, encoding="utf-8")) == cal


def main() -> None:
    src_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(DATA, "..", "..", "shared", "data")
    write_places(os.path.join(DATA, "gaziantep.json"), build_places(src_dir))
    write_holidays(os.path.join(DATA, "holidays.json"), build_holidays(src_dir))
    print("wrote data/gaziantep.json and data/holidays.json")


if __name__ == "__main__":
    main()
