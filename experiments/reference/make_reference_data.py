"""Make the NEST structural-plasticity reference data in ``tests/data/``.

This driver runs ``nest_structural_plasticity.py`` (same folder) for several
seeds of two variants, one seed after the other, and collects each variant
into one small ``.npz`` file:

``shipped``
    NEST 3.10's example as shipped: structural update every 10 000 ms,
    200 s simulated. Written to ``tests/data/nest_sp_shipped.npz``.
``converging``
    The same network with a structural update every 1000 ms and a longer
    run, so that both populations settle at their calcium set points
    (Ca_E -> 0.05, Ca_I -> 0.2). Written to
    ``tests/data/nest_sp_converging.npz``. The run length was chosen by trying
    it; see ``tests/data/README.md``.

Each output file holds arrays shaped ``(n_seeds, n_times)`` (float32, or int32
for connection counts) plus ``time`` (s), ``seeds``, ``nest_version``,
``params_json`` (all parameters as a JSON string), and ``wall_s`` and
``cpu_s`` (per seed, time spent in ``nest.Simulate`` only).

NEST is not a dependency of ``plasticity``. Run this driver with (or point
``--nest-python`` at) an interpreter that has ``nest-simulator`` installed::

    /work/nestenv/bin/python experiments/reference/make_reference_data.py

Per-seed results are cached in ``--work-dir``: a finished seed is not re-run,
so an interrupted call can simply be repeated.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RUN_SCRIPT = HERE / "nest_structural_plasticity.py"
REPO = HERE.parent.parent

###############################################################################
# The two variants. ``record_ms`` is the recording interval.

VARIANTS = {
    "shipped": {
        "update_ms": 10000.0,
        "t_sim_s": 200.0,
        "record_ms": 1000.0,
        # 13 seeds: the late phase (I cells above 50 Hz) spreads widely from seed
        # to seed, and 5 seeds under-estimated it (3 of 8 further NEST seeds
        # left the 5-seed envelope)
        "seeds": list(range(1, 14)),
        "output": "nest_sp_shipped.npz",
        "description": "NEST 3.10 pynest example structural_plasticity.py as shipped "
                       "(update interval 10000 ms, 200 s)",
    },
    "converging": {
        "update_ms": 1000.0,
        "t_sim_s": 400.0,
        "record_ms": 1000.0,
        "seeds": [1, 2, 3, 4, 5],
        "output": "nest_sp_converging.npz",
        "description": "same network, structural update every 1000 ms, longer run; "
                       "both populations settle near their Ca set points",
    },
}

TARGET_CA = {"e": 0.05, "i": 0.2}
CONVERGENCE_WINDOW_S = 20.0  # average over the last 20 s ...
CONVERGENCE_TOL = 0.10  # ... must be within 10 % of the set point
MAX_BYTES = 200_000

# Per-seed arrays that are stacked into (n_seeds, n_times); counts stay integers.
COUNT_KEYS = ("conn_e", "conn_i")


def run_seed(variant, seed, work_dir, nest_python):
    """Run one seed of one variant unless its result file already exists.

    Parameters
    ----------
    variant : str
        Key of ``VARIANTS``.
    seed : int
        NEST ``rng_seed``.
    work_dir : pathlib.Path
        Folder for the per-seed ``.npz`` files.
    nest_python : str
        Interpreter with NEST installed.

    Returns
    -------
    pathlib.Path
        The per-seed result file.
    """
    spec = VARIANTS[variant]
    out = work_dir / f"{variant}_seed{seed}.npz"
    if out.exists():
        print(f"[{variant}] seed {seed}: cached ({out})", flush=True)
        return out
    cmd = [
        nest_python, str(RUN_SCRIPT),
        "--seed", str(seed),
        "--t-sim", str(spec["t_sim_s"]),
        "--update-interval", str(spec["update_ms"]),
        "--record-interval", str(spec["record_ms"]),
        "-o", str(out.with_suffix(".partial.npz")),
    ]
    print(f"[{variant}] seed {seed}: {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise RuntimeError(f"{variant} seed {seed} failed with exit code {proc.returncode}")
    print("   " + proc.stdout.strip().splitlines()[-1], flush=True)
    out.with_suffix(".partial.npz").rename(out)
    return out


def collect(variant, files, seeds):
    """Stack the per-seed files of one variant into a dict of arrays.

    Parameters
    ----------
    variant : str
        Key of ``VARIANTS``.
    files : list of pathlib.Path
        Per-seed result files, in the order of ``seeds``.
    seeds : list of int
        The seeds.

    Returns
    -------
    dict
        Arrays ready for ``numpy.savez_compressed``.
    """
    runs = [dict(np.load(f)) for f in files]
    time = runs[0]["time"]
    for r in runs:
        if not np.allclose(r["time"], time):
            raise ValueError("seeds were recorded at different times")
    series = [k for k in runs[0] if k.startswith(("ca_", "conn_", "rate_", "z_"))]
    data = {}
    for key in series:
        dtype = np.int32 if key in COUNT_KEYS else np.float32
        data[key] = np.stack([r[key] for r in runs]).astype(dtype)
    params = json.loads(str(runs[0]["params_json"]))
    params["variant"] = variant
    params["description"] = VARIANTS[variant]["description"]
    params["array_layout"] = "(n_seeds, n_times); row k is seeds[k], column j is time[j]"
    params["ca_note"] = ("population mean of NEST's 'Ca' status, i.e. each neuron's calcium "
                         "at its last spike or structural update, not decayed to time[j]")
    data["time"] = time.astype(np.float32)
    data["seeds"] = np.asarray(seeds, dtype=np.int32)
    data["nest_version"] = np.asarray(str(runs[0]["nest_version"]))
    data["params_json"] = np.asarray(json.dumps(params, sort_keys=True))
    data["wall_s"] = np.asarray([float(r["wall_s"]) for r in runs])
    data["cpu_s"] = np.asarray([float(r["cpu_s"]) for r in runs])
    return data


def tail_mean(data, key, window_s=CONVERGENCE_WINDOW_S):
    """Per-seed mean of ``data[key]`` over the last ``window_s`` seconds.

    Parameters
    ----------
    data : dict
        Output of :func:`collect`.
    key : str
        Name of a ``(n_seeds, n_times)`` array.
    window_s : float
        Length of the window at the end of the run, in s.

    Returns
    -------
    numpy.ndarray
        One value per seed.
    """
    t = data["time"]
    mask = t > t[-1] - window_s + 1e-6
    return data[key][:, mask].astype(float).mean(axis=1)


def summarise(variant, data):
    """Print a markdown summary (mean and SD across seeds) and a convergence check.

    Parameters
    ----------
    variant : str
        Key of ``VARIANTS``.
    data : dict
        Output of :func:`collect`.

    Returns
    -------
    bool
        Whether every seed ends within ``CONVERGENCE_TOL`` of both set points,
        judged on the mean over the last ``CONVERGENCE_WINDOW_S`` seconds.
    """
    t_end = float(data["time"][-1])

    def row(label, values, fmt):
        values = np.asarray(values, dtype=float)
        sd = values.std(ddof=1) if values.size > 1 else float("nan")
        per_seed = ", ".join(format(v, fmt) for v in values)
        print(f"| {label} | {values.mean():{fmt}} | {sd:{fmt}} | {per_seed} |")

    print(f"\n### {variant}: {VARIANTS[variant]['description']}")
    print(f"seeds {data['seeds'].tolist()}, NEST {data['nest_version']}, t_end = {t_end:.0f} s\n")
    print("| quantity | mean | SD | per seed |")
    print("|---|---|---|---|")
    for pop in ("e", "i"):
        row(f"Ca {pop.upper()} at {t_end:.0f} s", data[f"ca_{pop}"][:, -1], ".4f")
    for pop in ("e", "i"):
        row(f"connections {pop.upper()} at {t_end:.0f} s", data[f"conn_{pop}"][:, -1], ".0f")
    for pop in ("e", "i"):
        row(f"rate {pop.upper()} (Hz), last 1 s", data[f"rate_{pop}"][:, -1], ".2f")
    converged = True
    for pop in ("e", "i"):
        ca_tail = tail_mean(data, f"ca_{pop}")
        row(f"Ca {pop.upper()}, mean of last {CONVERGENCE_WINDOW_S:.0f} s", ca_tail, ".4f")
        rel = np.abs(ca_tail / TARGET_CA[pop] - 1.0)
        converged &= bool(np.all(rel <= CONVERGENCE_TOL))
    for pop in ("e", "i"):
        row(f"connections {pop.upper()}, mean of last {CONVERGENCE_WINDOW_S:.0f} s",
            tail_mean(data, f"conn_{pop}"), ".0f")
    row("wall s per simulated s", data["wall_s"] / t_end, ".3f")
    row("CPU s per simulated s", data["cpu_s"] / t_end, ".3f")
    print(f"\nall seeds within {CONVERGENCE_TOL:.0%} of Ca set points "
          f"(last {CONVERGENCE_WINDOW_S:.0f} s): {converged}")
    return converged


def main(argv=None):
    """Run the requested variants and write the collected files.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds to run (default: each variant's own list)")
    parser.add_argument("--nest-python", default=sys.executable,
                        help="interpreter with nest-simulator installed (default: this one)")
    parser.add_argument("--work-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "nest_sp_runs",
                        help="cache for per-seed result files")
    parser.add_argument("--out-dir", type=Path, default=REPO / "tests" / "data")
    args = parser.parse_args(argv)

    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    for variant in variants:
        seeds = args.seeds or VARIANTS[variant]["seeds"]
        files = [run_seed(variant, s, args.work_dir, args.nest_python) for s in seeds]
        data = collect(variant, files, seeds)
        out = args.out_dir / VARIANTS[variant]["output"]
        np.savez_compressed(out, **data)
        size = out.stat().st_size
        print(f"wrote {out} ({size / 1000:.1f} kB)")
        if size > MAX_BYTES:
            raise RuntimeError(f"{out} is {size} bytes, above the {MAX_BYTES} byte budget")
        converged = summarise(variant, data)
        if variant == "converging" and not converged:
            print("WARNING: the converging variant did not converge; adjust VARIANTS")


if __name__ == "__main__":
    main()
