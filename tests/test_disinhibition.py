"""Reference target T7: the disinhibition and gamma sign tests.

Thresholds were fixed before the final runs and are not tuned per outcome:
12 paired seeds, 2 s each (200 ms warm-up), 3 uM ketamine on the default
1000-neuron network. Effects are paired differences against the drug-free
baseline with 95 % percentile-bootstrap CIs (plasticity.analysis). The
design first had 4 seeds; when the external drive got its own random
stream (same Poisson law, other draws) the equal-affinity comparison failed
at those 4 seeds (+0.034 [+0.013, +0.063]) and passed with 12 (+0.017
[+0.001, +0.034]): 4 seeds were too few for it, so the design now has 12,
with the thresholds unchanged.

The drug-free baseline of each condition has the same receptors (hence the
same Mg2+ block) as the condition: all three presets share one.

Since issue 12 (ketamine and Mg2+ competing, per-subunit Mg2+ block, the SST
and pyramidal drives recalibrated) the same criteria are also run at the
free effect-site peak of the clinical dose (0.5 mg/kg over 40 min, Domino,
70 kg: 0.46 uM). Measured (12 seeds, paired, 95 % CI):

criterion                               3 uM                  0.46 uM (clinical peak)
preferential raises pyramidal rate      +30.8 %        pass   +9.1 % [+0.43, +0.45 Hz] pass
preferential raises relative gamma      +0.148         pass   +0.088 [+0.069, +0.107]  pass
equal affinity does not raise gamma     +0.118         FAIL   +0.046 [+0.023, +0.073]  FAIL
preferential minus equal, gamma         +0.030         pass   +0.041 [+0.024, +0.063]  pass
E->E only lowers pyramidal rate         -0.8 %         pass   -0.2 % [-0.032, +0.007]  FAIL

The misses are kept as strict expected failures (they fail the suite if
they start to pass, so the table must then be updated) and are listed in
the README.

Expected signs (science.md T7):
- interneuron-preferential block (GluN2C/D IC50s, Kotermanski & Johnson
  2009) raises the pyramidal rate (Homayoun & Moghaddam 2007) and the
  relative 30-80 Hz power (Susin & Destexhe 2023);
- equal-affinity block does not raise relative gamma (Susin & Destexhe
  2023): its mean change stays below 0.025 and below half the preferential
  change, and preferential minus equal is positive;
- blocking only E->E lowers the pyramidal rate.
"""

from __future__ import annotations

import pytest

from plasticity.studies.disinhibition import run_sign_tests

pytestmark = [pytest.mark.science, pytest.mark.slow]



def _clinical_peak_uM() -> float:
    """Free effect-site peak of the default protocol (0.5 mg/kg over 40 min), by the PK."""
    from plasticity import load_config
    from plasticity.pharmacology.report import pk_report

    config = load_config(None, ["pharmacology.protocol={}"])
    return pk_report(config).driving_peak_uM


@pytest.fixture(scope="module")
def sign_tests():
    """Both concentrations in one batch, on one set of drug-free runs (run_sign_tests)."""
    results = run_sign_tests(seeds=tuple(range(1, 13)),
                             concentrations_uM=[3.0, _clinical_peak_uM()],
                             overrides=["simulation.duration=2 s"])
    return dict(zip(["3 uM", "clinical peak"], results, strict=True))


@pytest.fixture(params=["3 uM", "clinical peak"])
def sign_test(request, sign_tests):
    result = sign_tests[request.param]
    print(result.table())
    return result


def test_clinical_peak_is_the_free_effect_site_peak():
    # Domino et al. 1982 set, 0.5 mg/kg HCl (0.867 base) over 40 min, 70 kg: effect-site
    # peak 0.869 uM (tests/test_pk.py checks the PK itself), times the free fraction 0.53
    # (Dayton et al. 1983).
    assert _clinical_peak_uM() == pytest.approx(0.53 * 0.869, rel=0.01)


def _expect_miss(request, sign_test, where: tuple[str, ...], reason: str) -> None:
    """Mark a measured miss (module table) as a strict expected failure at ``where``."""
    label = "3 uM" if sign_test.concentration_uM == 3.0 else "clinical peak"
    if label in where:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{label}: {reason}"))


def test_preferential_block_raises_pyramidal_rate(sign_test):
    e = sign_test.effects["preferential"]["exc_rate_hz"]
    assert e["ci_low"] > 0
    assert e["relative_change"] > 0.02


def test_preferential_block_raises_relative_gamma(sign_test):
    e = sign_test.effects["preferential"]["lfp_gamma_fraction"]
    assert e["ci_low"] > 0


def test_equal_affinity_does_not_raise_relative_gamma(request, sign_test):
    _expect_miss(request, sign_test, ("3 uM", "clinical peak"),
                 "with the weak Mg2+ block of GluN2C/D, equal block at rest still raises "
                 "relative gamma (Susin & Destexhe 2023 predict no rise)")
    equal = sign_test.effects["equal_affinity"]["lfp_gamma_fraction"]["mean_diff"]
    pref = sign_test.effects["preferential"]["lfp_gamma_fraction"]["mean_diff"]
    assert equal < 0.025
    assert equal < 0.5 * pref


def test_preferential_raises_gamma_more_than_equal_affinity(sign_test):
    assert sign_test.effects["preferential_vs_equal"]["lfp_gamma_fraction"]["ci_low"] > 0


def test_blocking_only_exc_to_exc_lowers_pyramidal_rate(request, sign_test):
    _expect_miss(request, sign_test, ("clinical peak",),
                 "the E->E block is 8 % at the clinical peak; the rate change is -0.2 % with a "
                 "CI that includes 0")
    e = sign_test.effects["exc_only"]["exc_rate_hz"]
    assert e["ci_high"] < 0
