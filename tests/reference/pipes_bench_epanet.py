#!/usr/bin/env python3
"""EPANET 2.2 itself on a network file, timed, for the hydraulics bench
(`cargo bench -p cim-hydraulics --bench network` with CIM_PIPE_PYTHON
naming a Python that has WNTR): WNTR's toolkit binding opens the file and
solves the hydraulics (ENopen, ENsolveH — EPANET's own loop over every
hydraulic step), then saves the results at reporting steps (ENsaveH) and
reads them back (WNTR's BinFile). Prints JSON: the seconds of each part
and the last reporting step's pressures (m) by node ID, for the bench to
compare with its own.

  python3 tests/reference/pipes_bench_epanet.py NETWORK.inp
"""
import json
import os
import sys
import tempfile
import time

from wntr.epanet import io, toolkit

inp = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    en = toolkit.ENepanet(version=2.2)
    en.ENopen(inp, os.path.join(tmp, "r.rpt"), os.path.join(tmp, "r.bin"))
    t1 = time.perf_counter()
    en.ENsolveH()
    t2 = time.perf_counter()
    en.ENsaveH()
    en.ENclose()
    r = io.BinFile().read(os.path.join(tmp, "r.bin"))
    t3 = time.perf_counter()
last = r.node["pressure"].iloc[-1]
json.dump({"open_s": t1 - t0, "solve_s": t2 - t1, "results_s": t3 - t2,
           "last_pressure_m": {str(k): float(v) for k, v in last.items()}}, sys.stdout)
