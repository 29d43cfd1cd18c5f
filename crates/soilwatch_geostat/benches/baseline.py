#!/usr/bin/env python3
"""Baselines for benches/interpolate.rs: the same grid job in PyKrige and in SciPy (cKDTree IDW).

    baseline.py pykrige|scipy_idw POINTS.csv OUT.f64 X_MIN Y_MIN CELL N K

Times the job after the CSV is loaded (PyKrige: model construction + execute; SciPy: tree build +
query + weights), writes the estimates as raw little-endian float64 in soilwatch's cell order (rows
from the north), and prints `seconds=… cpu=… peak_mb=…` (wall clock, CPU time of all threads, peak resident memory of this process).
The variogram is the benchmark's: spherical, nugget 0.0005, partial sill 0.01, range 12,000 m
(spherical ranges mean the same in PyKrige and soilwatch).
"""

import resource
import sys
import time

import numpy as np


def main():
    job, points, out = sys.argv[1], sys.argv[2], sys.argv[3]
    x_min, y_min, cell = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    n, k = int(sys.argv[7]), int(sys.argv[8])
    data = np.loadtxt(points, delimiter=",", skiprows=1)
    x, y, z = data[:, 0], data[:, 1], data[:, 2]
    gx = x_min + (np.arange(n) + 0.5) * cell  # west to east
    gy = y_min + (np.arange(n) + 0.5) * cell  # south to north
    if job == "pykrige":
        from pykrige.ok import OrdinaryKriging

        t = time.perf_counter()
        c = time.process_time()
        ok = OrdinaryKriging(
            x,
            y,
            z,
            variogram_model="spherical",
            variogram_parameters={"psill": 0.01, "range": 12000.0, "nugget": 0.0005},
        )
        est, _var = ok.execute("grid", gx, gy, backend="loop", n_closest_points=k)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
        est = np.asarray(est)[::-1, :]  # rows from the north
    elif job == "scipy_idw":
        from scipy.spatial import cKDTree

        t = time.perf_counter()
        c = time.process_time()
        tree = cKDTree(np.column_stack([x, y]))
        X, Y = np.meshgrid(gx, gy[::-1])
        d, i = tree.query(np.column_stack([X.ravel(), Y.ravel()]), k=k, workers=-1)
        w = 1.0 / d**2
        est = (w * z[i]).sum(axis=1) / w.sum(axis=1)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
    else:
        raise SystemExit(f"unknown job {job}")
    np.ascontiguousarray(est, dtype="<f8").tofile(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"seconds={seconds:.6f} cpu={cpu:.6f} peak_mb={peak:.1f}")


if __name__ == "__main__":
    main()
