#!/usr/bin/env python3
"""Reference hydraulics for scenario edits (`cim_hydraulics::scenario`,
`cim pipe simulate --close/--out-of-service`, `cim pipe isolate
--simulate`), from EPANET 2.2 itself through WNTR's toolkit binding: the
file is opened (ENopen), each closed link's initial status set to closed
(EN_INITSTATUS; a check-valve pipe made a plain pipe first), every simple control and rule with an action on a closed
link deleted (EN_deletecontrol, EN_deleterule: ours disables them, with
EPANET 2.3's EN_setcontrolenabled), each out-of-service junction's base
demands and emitter set to zero, and the hydraulics solved and saved to
EPANET's binary output (ENsolveH, ENsaveH), which WNTR's BinFile reads
back in SI. (WNTR's own model cannot read the generated network's rule
clock times, `8 AM`, which EPANET reads.)

The scenarios:
- generated: the pump PU1 and the valve TCV1 closed (PU1 has two level
  controls, TCV1 a rule setting it: all three must go), pipe H2_0 and
  the check-valve pipe V1_5 closed (EPANET sets no status on a check
  valve: it is made a plain pipe first, EN_setlinktype), junction J2_1
  out of service;
- net3_burst_103: Net3's pipe 103 burst, isolated with
  tests/reference/pipes_net3_valves.csv as `cim pipe isolate NET3.inp
  --link 103 --valves tests/reference/pipes_net3_valves.csv --json` finds:
  the links of valves V2 V4 V5 V33 V35 and the isolated links closed, the
  isolated nodes out of service.

Per scenario: reporting times (s), node and link IDs, pressure (m) and
flow (L/s) per time, rounded to 5 decimals.

Run (WNTR 1.5.0 from PyPI, in a venv):
  pip install wntr==1.5.0 six
  python3 tests/reference/pipes_scenarios.py $CIM_TEST_DATA/pipes/epanet > tests/reference/pipes_scenarios.json
"""
import json
import os
import sys
import tempfile

import ctypes

import wntr
from wntr.epanet import io, toolkit

SCENARIOS = {
    "generated": {
        "network": "generated",
        "close": ["PU1", "TCV1", "H2_0", "V1_5"],
        "out_of_service": ["J2_1"],
    },
    "net3_burst_103": {
        "network": "Net3",
        "close": ["103", "109", "111", "112", "113", "213", "217", "223", "225"],
        "out_of_service": ["103", "109", "111", "191", "197"],
    },
}


EN_INITSTATUS, EN_EMITTER, EN_CONTROLCOUNT, EN_RULECOUNT, EN_JUNCTION = 4, 3, 5, 6, 0
EN_CVPIPE, EN_PIPE = 0, 1


def rule_links(en, rule):
    """The links a rule's THEN and ELSE actions act on."""
    ph, lib = en._project, en.ENlib
    n = [ctypes.c_int() for _ in range(3)]
    prio = ctypes.c_double()
    lib.EN_getrule(ph, rule, *[ctypes.byref(x) for x in n], ctypes.byref(prio))
    links = []
    for count, get in ((n[1].value, lib.EN_getthenaction), (n[2].value, lib.EN_getelseaction)):
        for a in range(1, count + 1):
            link, status, setting = ctypes.c_int(), ctypes.c_int(), ctypes.c_double()
            get(ph, rule, a, ctypes.byref(link), ctypes.byref(status), ctypes.byref(setting))
            links.append(link.value)
    return links


def run(inp, close, out_of_service):
    with tempfile.TemporaryDirectory() as tmp:
        rpt, out = os.path.join(tmp, "r.rpt"), os.path.join(tmp, "r.bin")
        en = toolkit.ENepanet(version=2.2)
        en.ENopen(inp, rpt, out)
        closed = {en.ENgetlinkindex(name) for name in close}
        for c in range(en.ENgetcount(EN_CONTROLCOUNT), 0, -1):
            if en.ENgetcontrol(c)["linkindex"] in closed:
                en.ENdeletecontrol(c)
        for r in range(en.ENgetcount(EN_RULECOUNT), 0, -1):
            if closed & set(rule_links(en, r)):
                assert en.ENlib.EN_deleterule(en._project, r) == 0
        for i in closed:
            if en.ENgetlinktype(i) == EN_CVPIPE:
                # No status can be set on a check-valve pipe: a plain pipe.
                index = ctypes.c_int(i)
                assert en.ENlib.EN_setlinktype(en._project, ctypes.byref(index), EN_PIPE, 0) == 0
                assert index.value == i
            en.ENsetlinkvalue(i, EN_INITSTATUS, 0)
        for name in out_of_service:
            i = en.ENgetnodeindex(name)
            if en.ENgetnodetype(i) != EN_JUNCTION:
                continue
            count = ctypes.c_int()
            en.ENlib.EN_getnumdemands(en._project, i, ctypes.byref(count))
            for d in range(1, count.value + 1):
                assert en.ENlib.EN_setbasedemand(en._project, i, d, ctypes.c_double(0.0)) == 0
            en.ENsetnodevalue(i, EN_EMITTER, 0.0)
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
        "flow_lps": rows(r.link["flowrate"], 1000.0),
    }


def main():
    data = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    files = {
        "generated": os.path.join(here, "pipes_generated.inp"),
        "Net3": os.path.join(data, "Net3.inp"),
    }
    out = {}
    for name, s in SCENARIOS.items():
        out[name] = dict(s, **run(files[s["network"]], s["close"], s["out_of_service"]))
    json.dump({"engine": "EPANET 2.2 (WNTR %s)" % wntr.__version__, "scenarios": out},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
