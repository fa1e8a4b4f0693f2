#!/usr/bin/env python3
"""Reference valve segments and burst isolations for EPANET's Net3
($CIM_TEST_DATA/pipes/epanet/Net3.inp), from WNTR.

1. A valve layer: WNTR's strategic placement (`generate_valve_layer(wn,
   'strategic', 2, seed=7)`: at every node, valves on all but 2 of its
   pipes), written as tests/reference/pipes_net3_valves.csv (id,link,node).
2. Its segments: `wntr.metrics.valve_segments` (each node's and link's
   segment number).
3. For every pipe broken in turn: the valves around its segment (those
   with the segment on one side and not the other), and the nodes that lose
   supply — no longer reached by a reservoir or tank through links that are
   not closed (networkx, on WNTR's graph) once the segment is cut out, and
   reached before.

Run (WNTR 1.5.0 from PyPI, in a venv):
  pip install wntr==1.5.0 six
  python3 tests/reference/pipes_segments.py $CIM_TEST_DATA/pipes/epanet/Net3.inp > tests/reference/pipes_segments.json
"""
import json
import os
import sys

import networkx as nx
import wntr

wn = wntr.network.WaterNetworkModel(sys.argv[1])
layer = wntr.network.generate_valve_layer(wn, "strategic", 2, seed=7)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "pipes_net3_valves.csv"), "w") as f:
    f.write("id,link,node\n")
    for name, row in layer.iterrows():
        f.write("V%s,%s,%s\n" % (name, row["link"], row["node"]))
valves = [("V%s" % name, row["link"], row["node"]) for name, row in layer.iterrows()]

G = wn.to_graph()
node_seg, link_seg, _ = wntr.metrics.valve_segments(G, layer)
node_seg, link_seg = node_seg.to_dict(), link_seg.to_dict()

sources = [n for n, _ in wn.nodes() if wn.get_node(n).node_type in ("Reservoir", "Tank")]
closed = {name for name, l in wn.links() if str(l.initial_status) == "Closed"}
U = G.to_undirected()


def supplied(seg):
    H = nx.MultiGraph()
    H.add_nodes_from(n for n in U.nodes if node_seg[n] != seg)
    for a, b, k in U.edges(keys=True):
        if k in closed or link_seg[k] == seg or node_seg[a] == seg or node_seg[b] == seg:
            continue
        H.add_edge(a, b, key=k)
    reached = set()
    for s in sources:
        if s in H:
            reached |= nx.node_connected_component(H, s)
    return reached


before = supplied(None)
bursts = {}
for name, l in wn.pipes():
    s = link_seg[name]
    close = sorted(v for v, link, node in valves
                   if link_seg[link] != node_seg[node] and s in (link_seg[link], node_seg[node]))
    after = supplied(s)
    lost = sorted(n for n in U.nodes if node_seg[n] == s or (n in before and n not in after))
    bursts[name] = {"valves_to_close": close, "isolated_nodes": lost}

json.dump({"engine": "WNTR %s" % wntr.__version__, "node_segment": node_seg,
           "link_segment": link_seg, "bursts": bursts}, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
