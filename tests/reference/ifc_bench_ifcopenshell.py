#!/usr/bin/env python3
"""IfcOpenShell reading an IFC file as `cargo bench -p cim-loaders --bench
ifc` does with CIM_IFC_PYTHON set: open (parse), then its geometry
iterator over every product on THREADS threads (openings cut, world
coordinates, as the viewer needs them). Prints the products meshed and the
seconds taken, the last word being the seconds.

Run: python3 tests/reference/ifc_bench_ifcopenshell.py FILE.ifc THREADS
(IfcOpenShell 0.9.0 from PyPI: pip install ifcopenshell==0.9.0.post1)
"""
import sys
import time

import ifcopenshell
import ifcopenshell.geom


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    t = time.perf_counter()
    f = ifcopenshell.open(path)
    opened = time.perf_counter() - t
    s = ifcopenshell.geom.settings()
    s.set("use-world-coords", True)
    it = ifcopenshell.geom.iterator(s, f, threads)
    n = 0
    if it.initialize():
        while True:
            it.get()
            n += 1
            if not it.next():
                break
    total = time.perf_counter() - t
    print(f"{n} products, open {opened:.3} s, total {total:.3}")


if __name__ == "__main__":
    main()
