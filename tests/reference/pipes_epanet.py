#!/usr/bin/env python3
"""Reference hydraulics for EPANET's Net1, Net2 and Net3 ($CIM_TEST_DATA/
pipes/epanet/) and the generated grid network (tests/reference/
pipes_generated.inp, written by `cargo run -p cim-hydraulics --example
make_network 12 10 tests/reference/pipes_generated.inp`), from EPANET 2.2
itself: WNTR's toolkit binding opens each file, solves the hydraulics and
saves them to EPANET's binary output (ENopen, ENsolveH, ENsaveH), which
WNTR's BinFile reads back in SI. The file goes to EPANET as it is, not
through WNTR's own .inp reader.

Per network: the reporting times (s), node and link IDs, and per time the
pressure and head (m), demand (L/s), link flow (L/s), velocity (m/s) and
status (WNTR's codes: 0 closed, 1 open, 2 active). Values as EPANET stores
them (float32), rounded to 5 decimals.

Run (WNTR 1.5.0 from PyPI, in a venv):
  pip install wntr==1.5.0 six
  python3 tests/reference/pipes_epanet.py $CIM_TEST_DATA/pipes/epanet > tests/reference/pipes_epanet.json
"""
import json
import os
import sys
import tempfile

import wntr
from wntr.epanet import io, toolkit


def run(inp):
    with tempfile.TemporaryDirectory() as tmp:
        rpt, out = os.path.join(tmp, "r.rpt"), os.path.join(tmp, "r.bin")
        en = toolkit.ENepanet(version=2.2)
        en.ENopen(inp, rpt, out)
        en.ENsolveH()
        en.ENsaveH()
        en.ENclose()
        r = io.BinFile().read(out)
    rows = lambda frame, scale=1.0: [
        [round(float(v) * scale, 5) for v in row] for row in frame.values
    ]
    return {
        "times": [int(t) for t in r.node["pressure"].index],
        "nodes": [str(c) for c in r.node["pressure"].columns],
        "links": [str(c) for c in r.link["flowrate"].columns],
        "pressure_m": rows(r.node["pressure"]),
        "head_m": rows(r.node["head"]),
        "demand_lps": rows(r.node["demand"], 1000.0),
        "flow_lps": rows(r.link["flowrate"], 1000.0),
        "velocity_ms": rows(r.link["velocity"]),
        "status": [[int(v) for v in row] for row in r.link["status"].values],
    }


def main():
    data = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    networks = {n: run(os.path.join(data, n + ".inp")) for n in ("Net1", "Net2", "Net3")}
    networks["generated"] = run(os.path.join(here, "pipes_generated.inp"))
    json.dump({"engine": "EPANET 2.2 (WNTR %s)" % wntr.__version__, "networks": networks},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


main()
