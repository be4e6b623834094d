"""The package's layering: reading results never imports Brian2, and imports point down.

Run in a subprocess in which ``import brian2`` fails (a meta-path finder
that refuses it), so a stray module-level import anywhere on the path of
these commands makes the test fail.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent

NO_BRIAN2 = textwrap.dedent("""
    import sys

    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "brian2" or name.startswith("brian2."):
                raise ImportError(f"{name} is not importable in this test")
            return None

    sys.meta_path.insert(0, _Refuse())
""")


def _run_without_brian2(code: str, *args: str) -> subprocess.CompletedProcess:
    script = NO_BRIAN2 + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)


def test_the_blocker_really_blocks_brian2():
    proc = _run_without_brian2("import brian2")
    assert proc.returncode != 0 and "not importable in this test" in proc.stderr


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A finished sweep directory made without simulating: two synthetic point files."""
    from plasticity.storage import Series, SpikeData, write_result
    from plasticity.sweep.design import expand, parse_sweep
    from plasticity.sweep.directory import point_path, write_manifest

    directory = tmp_path_factory.mktemp("sweep") / "dose"
    base = {"name": "t", "network": {"n_exc": 80, "n_pv": 16, "n_sst": 8}}
    plan = expand(base, parse_sweep({"grid": {"pharmacology.ketamine_uM": [0, 2]}}))
    write_manifest(directory, plan, "")
    for k, point in enumerate(plan.points):
        import numpy as np

        spikes = [SpikeData("exc", np.array([0, 1], dtype=np.uint64),
                            np.array([1.0, 2.0]), n_nodes=80)]
        series = [Series("rates", np.arange(3.0), {"rate_exc": (np.ones(3), "Hz", "rate")})]
        write_result(point_path(directory, point.id), spikes=spikes, series=series,
                     summary={"exc_rate_hz": (1.0 + k, "Hz")}, provenance={"seed": point.seed},
                     config_yaml="")
    return directory


def test_reading_results_never_imports_brian2(sweep_dir, small_result_free):
    code = """
        import sys
        import plasticity
        from plasticity import storage, analysis
        from plasticity.sweep import load_sweep, sensitivity  # noqa: F401
        result = plasticity.open_result(sys.argv[1])
        result.summary, result.series("rates"), result.spikes("exc")
        analysis.mean_rate([1.0, 2.0], 2, 0.0, 10.0)
        ds = plasticity.load_sweep(sys.argv[2])
        assert float(ds["exc_rate_hz"].sum()) == 3.0, ds
        assert "brian2" not in sys.modules
        print("ok")
    """
    proc = _run_without_brian2(code, str(small_result_free), str(sweep_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


@pytest.mark.parametrize("argv", [["--help"], ["collect", "{dir}"], ["status", "{dir}"]])
def test_command_line_reading_commands_never_import_brian2(sweep_dir, argv):
    code = """
        import sys
        from plasticity.cli import main
        try:
            rc = main(sys.argv[1:])
        except SystemExit as stop:
            rc = stop.code
        assert "brian2" not in sys.modules
        sys.exit(rc)
    """
    proc = _run_without_brian2(code, *[a.format(dir=sweep_dir) for a in argv])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if argv[0] == "collect":
        assert (sweep_dir / "index.h5").exists()
    if argv[0] == "status":
        assert "2 done" in proc.stdout


@pytest.fixture(scope="module")
def small_result_free(tmp_path_factory):
    """A result file written by the storage layer alone (no simulation)."""
    import numpy as np

    from plasticity.storage import Series, SpikeData, write_result

    path = tmp_path_factory.mktemp("result") / "r.h5"
    write_result(path, spikes=[SpikeData("exc", np.array([0, 3], dtype=np.uint64),
                                         np.array([1.5, 7.0]), n_nodes=4)],
                 series=[Series("rates", np.arange(4.0),
                                {"rate_exc": (np.zeros(4), "Hz", "population rate")})],
                 summary={"exc_rate_hz": (2.0, "Hz")}, provenance={"seed": 1}, config_yaml="")
    return path


def test_import_graph_has_no_circle_and_no_private_import():
    """The shared checker (or, where it is absent, the same rule here) finds nothing."""
    tool = ROOT.parent / "shared" / "tools" / "import_graph.py"
    if not tool.exists():
        pytest.skip("shared/tools/import_graph.py is not beside this checkout")
    proc = subprocess.run([sys.executable, str(tool), str(ROOT / "plasticity")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
    assert " 0 circles, 0 imports of private names" in proc.stdout, proc.stdout
