"""``plasticity pk``: the PK time course of an infusion protocol, without a network."""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from plasticity.cli.main import main
from plasticity.config import EXCITATORY_PATHWAYS, load_config
from plasticity.pharmacology.pk import PK_SETS, terminal_half_life_min

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXIT_2 = 2
CSV_COLUMNS = [
    "time_min", "time_h", "plasma_ng_per_ml", "plasma_uM", "effect_ng_per_ml", "effect_uM",
    "driving_uM", "block_exc_to_exc", "block_exc_to_pv", "block_exc_to_sst",
]
#: 0.5 mg/kg of ketamine base over 40 min (science.md 4.1, T8).
DOMINO_PROTOCOL = [
    "--set", "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min, "
    "salt: base}]}",
]
#: The same, block driven by the total plasma concentration.
DOMINO_SETS = [*DOMINO_PROTOCOL, "--set", "pharmacology.protocol.concentration_at=plasma"]

#: The IC50 in 1 mM Mg2+ at v_ref = -66 mV of the competitive block, an output of the
#: model: K0 (1 + [Mg]/(K_Mg0 exp(-0.062 * 66))), with the ketamine IC50s without Mg2+ K0
#: of Kotermanski & Johnson (2009, J Neurosci 29:2774): GluN2A/B mean 0.32 uM (E->E),
#: GluN2D 0.83 uM (E->PV), GluN2C 0.51 uM (E->SST), and the Mg2+ affinities K_Mg0 at 0 mV
#: 3.57 mM (Jahr & Stevens 1990, J Neurosci 10:3178) for GluN2A/B, 23.4 mM (2D) and
#: 45.6 mM (2C) (inferred from Kotermanski & Johnson's IC50s in Mg2+). The quickstart
#: hypothesis is glun2cd_interneurons and its Mg2+ is 1 mM.
IC50_MG_AT_V_REF_UM = {
    "exc_to_exc": 0.32 * (1.0 + 1.0 / (3.57 * np.exp(-0.062 * 66.0))),  # 0.32 * 17.767
    "exc_to_pv": 0.83 * (1.0 + 1.0 / (23.4 * np.exp(-0.062 * 66.0))),  # 2.953
    "exc_to_sst": 0.51 * (1.0 + 1.0 / (45.6 * np.exp(-0.062 * 66.0))),  # 1.1795
}
#: Ketamine bound "as much as 47 %" to human plasma (Dayton et al. 1983, Eur J Clin
#: Pharmacol 24:825): the free fraction of the default drive.
FREE_FRACTION = 0.53


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == CSV_COLUMNS
    columns = {}
    for i, name in enumerate(rows[0]):
        values = [row[i] for row in rows[1:]]
        columns[name] = np.array([np.nan if v == "" else float(v) for v in values])
    return columns


def _overrides(args: list[str]) -> list[str]:
    return [value for flag, value in zip(args[::2], args[1::2], strict=True) if flag == "--set"]


def _assert_one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("plasticity pk: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.science
def test_domino_infusion_peak_block_and_files(tmp_path, capsys):
    png, table = tmp_path / "figs" / "pk.png", tmp_path / "pk.csv"
    code = main(["pk", str(QUICKSTART), *DOMINO_SETS, "-o", str(png), "--csv", str(table)])
    assert code == 0
    out = capsys.readouterr().out

    # printed summary: Domino peak about 240 ng/mL at the end of the infusion
    match = re.search(r"plasma peak\s+([\d.]+) ng/mL = ([\d.]+) uM at ([\d.]+) min", out)
    assert match, out
    assert 228.0 <= float(match.group(1)) <= 252.0
    assert float(match.group(3)) == pytest.approx(40.0, abs=0.01)
    assert "concentration_at: plasma" in out
    assert re.search(r"block driven by\s+total plasma concentration \(concentration_at: "
                     r"plasma\), peak [\d.]+ uM at 40 min", out), out
    assert "effect-site peak" in out
    assert "domino" in out and "70 kg" in out
    for name in EXCITATORY_PATHWAYS:
        assert re.search(rf"{name}\s+[\d.]+%", out), out
    assert f"wrote {png}" in out and f"wrote {table}" in out

    data = _read_csv(table)
    i = int(np.argmax(data["plasma_ng_per_ml"]))
    assert 228.0 <= data["plasma_ng_per_ml"][i] <= 252.0
    assert data["time_min"][i] == pytest.approx(40.0)
    np.testing.assert_allclose(data["time_h"], data["time_min"] / 60.0, rtol=1e-12)
    np.testing.assert_allclose(data["plasma_uM"], data["plasma_ng_per_ml"] / 237.7, rtol=1e-12)
    np.testing.assert_array_equal(data["driving_uM"], data["plasma_uM"])
    assert np.all(np.isfinite(data["effect_uM"]))

    # span: 10 min before the dose to 6 terminal half-lives after its end, every 1 min
    assert data["time_min"][0] == pytest.approx(-10.0)
    washout = 40.0 + 6.0 * terminal_half_life_min(PK_SETS["domino"])
    assert data["time_min"][-1] == pytest.approx(washout)
    assert np.all(np.diff(data["time_min"]) > 0)
    assert np.max(np.diff(data["time_min"])) <= 1.0 + 1e-9
    assert np.all(data["plasma_uM"][data["time_min"] < 0] == 0.0)

    # The report gives the competitive block at each pathway's reference voltage
    # (-66 mV): b = C^n / (C^n + IC50_Mg(v_ref)^n), n = 1, with the IC50 in Mg2+ written
    # out above (IC50_MG_AT_V_REF_UM).
    config = load_config(QUICKSTART, _overrides(DOMINO_SETS))
    assert config.pharmacology.hypothesis == "glun2cd_interneurons"
    assert config.pharmacology.block_model == "competitive"
    assert set(IC50_MG_AT_V_REF_UM) == set(EXCITATORY_PATHWAYS)
    c = data["driving_uM"]
    for name, ic50 in IC50_MG_AT_V_REF_UM.items():
        expected = c / (c + ic50)
        np.testing.assert_allclose(data[f"block_{name}"], expected, rtol=0, atol=1e-12)
    # Spot check at the Domino plasma peak (about 1 uM): E->SST block about
    # 1/(1 + 1.1795) = 0.46, E->E about 1/(1 + 5.686) = 0.15.
    assert 0.40 < data["block_exc_to_sst"][i] < 0.55
    assert 0.12 < data["block_exc_to_exc"][i] < 0.18
    # the printed header and the IC50 in Mg2+ of every pathway (4 significant digits)
    assert "peak NMDA block (glun2cd_interneurons; competitive block at v_ref):" in out
    for name, text in (("exc_to_exc", "5.686"), ("exc_to_pv", "2.953"),
                       ("exc_to_sst", "1.179")):
        assert float(text) == pytest.approx(IC50_MG_AT_V_REF_UM[name], abs=5e-4)
        assert re.search(rf"{name}\s+[\d.]+%\s+\(IC50 in Mg2\+ {text} uM, Hill 1\)", out), out

    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert png.stat().st_size > 20_000
    # written atomically: no temporary files left next to the outputs, usual permissions
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["figs", "pk.csv", "pk.png"]
    umask = os.umask(0)
    os.umask(umask)
    for path in (png, table):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@pytest.mark.science
def test_default_drive_is_the_free_effect_site_concentration(tmp_path, capsys):
    """By default (concentration_at: free_effect_site) the block is driven by the effect-site
    concentration times the free fraction 0.53, through the IC50 in Mg2+ at v_ref."""
    table = tmp_path / "pk.csv"
    assert main(["pk", str(QUICKSTART), *DOMINO_PROTOCOL, "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    protocol = load_config(QUICKSTART, _overrides(DOMINO_PROTOCOL)).pharmacology.protocol
    assert protocol.concentration_at == "free_effect_site"
    match = re.search(r"block driven by\s+free effect-site concentration \(0\.53 x total; "
                      r"concentration_at: free_effect_site\), peak ([\d.]+) uM at "
                      r"([\d.]+) min", out)
    assert match, out
    effect = re.search(r"effect-site peak\s+[\d.]+ ng/mL = ([\d.]+) uM", out)
    assert effect, out
    # the driving peak is 0.53 x the printed effect-site peak (both 4 significant digits)
    assert float(match.group(1)) == pytest.approx(FREE_FRACTION * float(effect.group(1)),
                                                  rel=1e-3)

    data = _read_csv(table)
    assert np.all(np.isfinite(data["effect_uM"]))
    np.testing.assert_allclose(data["driving_uM"], FREE_FRACTION * data["effect_uM"],
                               rtol=1e-12)
    c = data["driving_uM"]
    for name, ic50 in IC50_MG_AT_V_REF_UM.items():
        np.testing.assert_allclose(data[f"block_{name}"], c / (c + ic50), rtol=0, atol=1e-12)
    # Spot check at the peak: the Domino effect site lags plasma (ke0 0.652 /min) and peaks
    # just after the 40 min infusion near the plasma peak of about 1 uM (228-252 ng/mL, i.e.
    # 0.96-1.06 uM), so the free drive peaks near 0.53 uM and the E->SST block near
    # 0.53/(0.53 + 1.1795) = 0.31 (0.30-0.32 over that range), E->E near
    # 0.53/(0.53 + 5.686) = 0.085.
    j = int(np.argmax(c))
    assert 40.0 <= data["time_min"][j] <= 42.0
    assert FREE_FRACTION * 0.90 <= c[j] <= FREE_FRACTION * 1.06
    assert 0.28 < data["block_exc_to_sst"][j] < 0.33
    assert 0.07 < data["block_exc_to_exc"][j] < 0.10
    assert data["block_exc_to_sst"][j] > data["block_exc_to_pv"][j] > data["block_exc_to_exc"][j]
    printed = re.search(r"exc_to_sst\s+([\d.]+)%", out)
    assert printed, out
    assert float(printed.group(1)) / 100.0 == pytest.approx(
        float(match.group(1)) / (float(match.group(1)) + IC50_MG_AT_V_REF_UM["exc_to_sst"]),
        abs=2e-3)


@pytest.mark.smoke
def test_missing_protocol_is_one_line_exit_2(tmp_path, capsys):
    table = tmp_path / "pk.csv"
    assert main(["pk", str(QUICKSTART), "--csv", str(table)]) == EXIT_2
    captured = capsys.readouterr()
    _assert_one_line_error(captured.err, "pharmacology.protocol", "--set")
    assert captured.out == ""
    assert not table.exists()



@pytest.mark.smoke
@pytest.mark.parametrize("dt", ["5 mV", "0 min", "-1 min", "often", "5"])
def test_bad_dt_is_one_line_exit_2(dt, capsys):
    assert main(["pk", str(QUICKSTART), *DOMINO_SETS, "--dt", dt]) == EXIT_2
    _assert_one_line_error(capsys.readouterr().err, "--dt")


def test_dt_too_fine_for_the_span_is_exit_2(capsys):
    assert main(["pk", str(QUICKSTART), *DOMINO_SETS, "--dt", "1 ms"]) == EXIT_2
    _assert_one_line_error(capsys.readouterr().err, "--dt", "samples")


@pytest.mark.parametrize("name", ["pk.txt", "pk"])
def test_unusable_figure_name_is_exit_2(tmp_path, name, capsys):
    assert main(["pk", str(QUICKSTART), *DOMINO_SETS, "-o", str(tmp_path / name)]) == EXIT_2
    _assert_one_line_error(capsys.readouterr().err, "-o")


def test_repeated_schedule_three_equal_peaks(tmp_path, capsys):
    table = tmp_path / "pk.csv"
    sets = [*DOMINO_SETS, "--set", "pharmacology.protocol.repeat={count: 3, every: 48 h}"]
    assert main(["pk", str(QUICKSTART), *sets, "--dt", "10 min", "--csv", str(table),
                 "-q"]) == 0
    assert capsys.readouterr().out == ""  # -q
    data = _read_csv(table)
    t, plasma = data["time_min"], data["plasma_ng_per_ml"]
    last_end = 2 * 48 * 60 + 40.0
    assert t[-1] > last_end + 6 * 60  # the washout of the last dose is in the table
    peaks = []
    for k in range(3):
        start = k * 48 * 60.0
        inside = (t >= start) & (t < start + 48 * 60.0)
        j = int(np.argmax(np.where(inside, plasma, -np.inf)))
        assert t[j] == pytest.approx(start + 40.0)  # dose ends are sampled exactly
        peaks.append(plasma[j])
    assert 228.0 <= peaks[0] <= 252.0
    np.testing.assert_allclose(peaks, peaks[0], rtol=0.01)
    assert plasma[-1] < 0.05 * peaks[0]


def test_not_blocked_pathways_and_no_effect_site(tmp_path, capsys):
    table = tmp_path / "pk.csv"
    sets = ["--set", "pharmacology.protocol={pk_model: kamp2020_summary, "
            "concentration_at: free_plasma}", "--set", "pharmacology.hypothesis=exc_only"]
    assert main(["pk", str(QUICKSTART), *sets, "--dt", "5 min", "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"exc_to_pv\s+not blocked", out)
    assert re.search(r"exc_to_sst\s+not blocked", out)
    assert "effect-site peak" not in out
    assert "concentration_at: free_plasma" in out
    data = _read_csv(table)
    assert np.all(np.isnan(data["effect_ng_per_ml"])) and np.all(np.isnan(data["effect_uM"]))
    np.testing.assert_allclose(data["driving_uM"], 0.53 * data["plasma_uM"], rtol=1e-12)
    assert np.all(data["block_exc_to_pv"] == 0.0) and np.all(data["block_exc_to_sst"] == 0.0)
    assert np.max(data["block_exc_to_exc"]) > 0.0


def test_timeline_windows_extend_the_span_and_are_drawn(tmp_path, capsys):
    png, table = tmp_path / "pk.png", tmp_path / "pk.csv"
    sets = ["--set", "pharmacology.protocol={}",
            "--set", "timeline={mode: windows, windows: [1 h, 30 h]}"]
    assert main(["pk", str(QUICKSTART), *sets, "--dt", "10 min", "-o", str(png),
                 "--csv", str(table), "-q"]) == 0
    data = _read_csv(table)
    assert data["time_min"][-1] == pytest.approx(30 * 60.0 + 2.0 / 60.0)  # + 2 s duration
    assert png.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.smoke
def test_pk_help_and_top_level_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pk", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    # argparse may wrap a line at a hyphen ("half- lives"), depending on the terminal width
    out = re.sub(r"(\w)- (\w)", r"\1-\2", out)
    assert "usage: plasticity pk" in out
    for text in ("--csv", "--dt", "--set", "-o", "-q", "concentration_at",
                 "pharmacology.protocol={}", "6 terminal half-lives", "competitive block",
                 "IC50 in the config's Mg2+"):
        assert text in out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert re.search(r"^\s+pk\s", out, re.MULTILINE)
    assert "plasticity pk configs/quickstart.yaml" in out


def test_metabolites_extend_the_span_and_report_the_hnk_peak(capsys):
    """With protocol.metabolites the time course runs 6 HNK half-lives (13.9 h) past the
    dose, and the HNK peak (after the ketamine has gone) is printed with the AMPA factor
    of hypothesis hnk_ampa."""
    sets = ["--set", "pharmacology.protocol={infusions: [{dose: 0.5 mg/kg, duration: 40 min}], "
            "metabolites: {}}", "--set", "pharmacology.hypothesis=hnk_ampa"]
    assert main(["pk", str(QUICKSTART), *sets, "--dt", "5 min"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "HNK peak" in x)
    hours = float(line.split(" at ")[1].split(" h")[0])
    assert 6.0 < hours < 24.0 and "AMPA weights x 1.0" in line
    assert "to 83.9" in out.splitlines()[0] or "to 84" in out.splitlines()[0]
