"""Vectorised pandas baseline of the GB 15618-2018 batch evaluation (method gb15618).

Usage: python3 pandas_baseline.py INPUT.csv OUTPUT.csv
Prints the wall time in seconds of read + classify + write on the last line ("seconds=<t>").
Same columns as `soilwatch evaluate`; floats instead of decimals (a baseline, not a reference).
"""
import sys
import time

import numpy as np
import pandas as pd

BANDS = 4
# GB 15618-2018 表1 / 表3: code -> {column: [4 bands]}
SCREENING = {
    "Cd": {"paddy": [0.3, 0.4, 0.6, 0.8], "other": [0.3, 0.3, 0.3, 0.6]},
    "Hg": {"paddy": [0.5, 0.5, 0.6, 1.0], "other": [1.3, 1.8, 2.4, 3.4]},
    "As": {"paddy": [30, 30, 25, 20], "other": [40, 40, 30, 25]},
    "Pb": {"paddy": [80, 100, 140, 240], "other": [70, 90, 120, 170]},
    "Cr": {"paddy": [250, 250, 300, 350], "other": [150, 150, 200, 250]},
    "Cu": {"orchard": [150, 150, 200, 200], "other": [50, 50, 100, 100]},
    "Ni": {"other": [60, 70, 100, 190]},
    "Zn": {"other": [200, 200, 250, 300]},
}
INTERVENTION = {
    "Cd": [1.5, 2.0, 3.0, 4.0],
    "Hg": [2.0, 2.5, 4.0, 6.0],
    "As": [200, 150, 120, 100],
    "Pb": [400, 500, 700, 1000],
    "Cr": [800, 850, 1000, 1300],
}
GROUPS = ["paddy", "upland", "orchard", "rotation"]
UNIT = {"mg/kg": 1.0, "ug/kg": 0.001, "μg/kg": 0.001, "g/kg": 1000.0}


def threshold_table():
    rows = []
    for code, cols in SCREENING.items():
        other = cols.get("other")
        for g in GROUPS:
            for b in range(BANDS + 1):  # band 4 = pH missing
                def col(name):
                    c = cols.get(name) or other
                    return min(c) if b == BANDS else c[b]
                if g == "paddy":
                    s = col("paddy")
                elif g == "orchard":
                    s = col("orchard")
                elif g == "rotation":
                    s = min(col("paddy"), col("other"))
                else:
                    s = col("other")
                iv = INTERVENTION.get(code)
                i = (min(iv) if b == BANDS else iv[b]) if iv else np.nan
                rows.append((code, g, b, float(s), float(i)))
    return pd.DataFrame(rows, columns=["analyte", "land_use", "band", "screening", "intervention"])


def main(inp, out):
    t0 = time.perf_counter()
    df = pd.read_csv(inp, dtype={"sample_code": str, "land_use": str, "analyte": str, "unit": str, "qualifier": str})
    df["factor"] = df["unit"].map(UNIT)
    nd = df["qualifier"].fillna("").str.upper().isin(["<", "ND", "未检出"])
    dl = df["detection_limit"] * df["factor"]
    val = df["value"] * df["factor"]
    nd = nd | (val < dl)
    df["c"] = np.where(nd, dl / 2, val)
    df["nd_dl"] = np.where(nd, dl, np.nan)
    band = np.select([df["ph"] <= 5.5, df["ph"] <= 6.5, df["ph"] <= 7.5, df["ph"] > 7.5], [0, 1, 2, 3], BANDS)
    df["band"] = band
    order = pd.unique(df["sample_code"])
    per_sample = df.groupby("sample_code", sort=False).agg(land_use=("land_use", "first"), ph=("ph", "first"), band=("band", "first"))
    items = df.groupby(["sample_code", "analyte"], sort=False).agg(c=("c", "mean"), n=("c", "size"), nd_dl=("nd_dl", "max")).reset_index()
    items = items.join(per_sample[["land_use", "band"]], on="sample_code")
    items = items.merge(threshold_table(), on=["analyte", "land_use", "band"], how="left")
    items["pi"] = items["c"] / items["screening"]
    above_s = items["c"] > items["screening"]
    above_i = items["c"] > items["intervention"]
    decisive = items["intervention"].notna()
    items["level"] = np.where(decisive, np.where(above_i, 2, np.where(above_s, 1, 0)), -1)
    items["ex_s"] = np.where(above_s, items["analyte"], "")
    items["ex_i"] = np.where(above_i, items["analyte"], "")
    g = items.groupby("sample_code", sort=False)
    level = g["level"].max()
    idx = g["pi"].idxmax()
    res = pd.DataFrame({
        "level": level,
        "max_pi": items.loc[idx.values, "pi"].values,
        "max_pi_analyte": items.loc[idx.values, "analyte"].values,
    }, index=level.index)
    res["exceed_screening"] = items[above_s].groupby("sample_code", sort=False)["analyte"].agg(";".join)
    res["exceed_intervention"] = items[above_i].groupby("sample_code", sort=False)["analyte"].agg(";".join)
    dup = g["n"].max() > 1
    nddl = (items["nd_dl"] > items["screening"]).groupby(items["sample_code"], sort=False).any()
    flags = np.where(nddl.reindex(level.index), "nd_dl_above_screening", "")
    flags = np.where(dup.reindex(level.index), np.char.add(np.char.add(flags, np.where(flags != "", ";", "")), "duplicate_results"), flags)
    phm = per_sample["band"].reindex(level.index) == BANDS
    flags = np.where(phm, np.char.add(np.char.add(flags, np.where(flags != "", ";", "")), "ph_missing"), flags)
    res["flags"] = flags
    res["class"] = res["level"].map({0: "priority_protection", 1: "safe_utilization", 2: "strict_control"})
    res = res.join(per_sample[["land_use", "ph"]]).reindex(order)
    res.index.name = "sample_code"
    res["max_pi"] = res["max_pi"].round(6)
    res.reset_index()[["sample_code", "land_use", "ph", "class", "max_pi", "max_pi_analyte", "exceed_screening", "exceed_intervention", "flags"]].to_csv(out, index=False, float_format="%.6f")
    print(f"seconds={time.perf_counter() - t0:.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
