#!/usr/bin/env python3
"""Write data/strucchange/: five real series with change points dated in the literature, taken
from the data sets of R's strucchange package (Debian: `apt-get install r-cran-strucchange`,
which brings r-base-core), in TCPD's format (series/<name>.json, annotations.json) so that
predsense-tcpd scores them as it scores TCPD. The truth is each paper's dating, not a method's
output; several codings of one series are separate "annotators", as TCPD's are. Index: 0-based
first row of the new regime.

  realint            US ex-post real interest rate, quarterly 1961(1)-1986(3), 103 rows. Bai & Perron
                     (2003), J. Applied Econometrics 18:1-22, Table 1: breaks after 1966(4), 1972(3),
                     1980(3) -> rows 24, 47, 79.
  germanm1           log real M1 per capita (GermanM1$m), quarterly 1961(1)-1995(4), 140 rows. German
                     monetary unification on 1990-06-01 (Luetkepohl, Teraesvirta & Wolters 1999,
                     J. Applied Econometrics 14:511-525): first quarter after it, 1990(3) -> row 118.
  grossarl_fraction  fraction of illegitimate births in Grossarl, annual 1700-1899, 200 rows. Policy
                     interventions as coded by Zeileis & Veichtlbauer (2002) and Veichtlbauer, Zeileis
                     & Leisch (2006): annotator "politics" 1803, 1816, 1850; "morals" 1736, 1753, 1771,
                     1803 (row = year - 1700).
  grossarl_marriages number of marriages in Grossarl, same years: annotator "nuptiality" (marriage
                     restrictions) 1803, 1810, 1816, 1883; "politics" 1803, 1816, 1850.
  boston_homicides   youth homicides in Boston, monthly 1992(1)-1998(5), 77 rows. Operation Ceasefire
                     began in the late spring of 1996 (Kennedy, Piehl & Braga 1996; Piehl, Cooper,
                     Braga & Kennedy 2003, Rev. Economics and Statistics 85:550-558): June 1996 -> row 53.

    /usr/bin/python3 scripts/make_strucchange_set.py [OUT_DIR]     (default data/strucchange)
"""
import csv
import io
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

R_CODE = r'''
suppressMessages(library(strucchange))
data("RealInt"); data("GermanM1"); data("Grossarl"); data("BostonHomicide")
out <- function(name, x) cat(name, paste(format(as.numeric(x), digits = 17), collapse = ","), "\n", sep = ";")
out("realint", RealInt)
out("germanm1", GermanM1$m)
out("grossarl_fraction", Grossarl$fraction)
out("grossarl_marriages", Grossarl$marriages)
out("boston_homicides", BostonHomicide$homicides)
cat("version;", as.character(packageVersion("strucchange")), "\n", sep = "")
'''

SETS = {
    "realint": ("US ex-post real interest rate (strucchange RealInt)", {"bai_perron_2003": [24, 47, 79]}),
    "germanm1": ("German log real M1 per capita (strucchange GermanM1$m)", {"monetary_union": [118]}),
    "grossarl_fraction": ("Grossarl fraction of illegitimate births (strucchange Grossarl)",
                          {"politics": [103, 116, 150], "morals": [36, 53, 71, 103]}),
    "grossarl_marriages": ("Grossarl marriages (strucchange Grossarl)",
                           {"nuptiality": [103, 110, 116, 183], "politics": [103, 116, 150]}),
    "boston_homicides": ("Boston youth homicides (strucchange BostonHomicide)", {"operation_ceasefire": [53]}),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "strucchange")
    text = subprocess.run(["Rscript", "-e", R_CODE], check=True, capture_output=True, text=True).stdout
    values, version = {}, None
    for line in text.splitlines():
        parts = line.split(";")
        if parts[0] == "version":
            version = parts[1].strip()
        elif parts[0] in SETS:
            values[parts[0]] = [float(v) for v in next(csv.reader(io.StringIO(parts[1].strip())))]
    os.makedirs(os.path.join(out, "series"), exist_ok=True)
    annotations = {}
    for name, (longname, ann) in SETS.items():
        x = values[name]
        doc = {"name": name, "longname": longname, "n_obs": len(x), "n_dim": 1,
               "time": {"index": list(range(len(x)))},
               "series": [{"label": "V1", "type": "float", "raw": x}],
               "source": f"R package strucchange {version} (Debian r-cran-strucchange)"}
        with open(os.path.join(out, "series", name + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
        annotations[name] = ann
    with open(os.path.join(out, "annotations.json"), "w") as f:
        json.dump(annotations, f, indent=1)
    print(f"wrote {len(SETS)} series from strucchange {version} to {out}")


if __name__ == "__main__":
    main()
