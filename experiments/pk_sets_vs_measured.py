"""The pharmacokinetic parameter sets beside measured plasma levels (issue 12, PK sets).

The clinical dose of the ketamine trials, 0.5 mg/kg of the hydrochloride
over 40 min (Berman et al. 2000; Zarate et al. 2006), is run through each
parameter set of :mod:`plasticity.pharmacology.pk` for a 70 kg adult. The
script prints plasma concentrations at the end of the infusion (40 min), at
60, 80, 120 and 240 min, and the terminal half-life, beside the measured
values we could source. Nothing is fitted here: the sets are as published
(``domino``) or as summarised (``kamp2020_summary``), and a miss stays a miss.

Measured values (tags as in the reference notes: [V2] read in a review
table citing the source, [R] recalled, to be checked at the source):

- end-of-infusion plasma level of 0.5 mg/kg over 40 min: 185 ng/mL
  (0.78 uM) in Zanos et al. 2018, Pharmacol Rev 70:621, Table 1 [V2];
  commonly reported range about 150-250 ng/mL [R]; 100-250 ng/mL in a
  dissociation study listed in the same table [V2].
- terminal half-life in humans: about 2-3 h [R]; about 120 min after a 20 mg
  dose (Yanagihara et al. 2003) and 79 +- 8 min during anaesthetic
  infusions (Idvall et al. 1979), abstracts [V]. The sources disagree.

Run: ``python experiments/pk_sets_vs_measured.py`` (a second, no simulation).
"""

import numpy as np

from plasticity.pharmacology.pk import (
    PK_SETS,
    Infusion,
    simulate_pk,
    terminal_half_life_min,
)

WEIGHT_KG = 70.0
TIMES_MIN = np.array([40.0, 60.0, 80.0, 120.0, 240.0])
MEASURED_PEAK_NG_PER_ML = (150.0, 250.0)  # commonly reported end-of-infusion range [R]
MEASURED_HALF_LIFE_MIN = (120.0, 180.0)  # "2-3 h" [R]; single studies 79-120 min [V]

print("0.5 mg/kg ketamine hydrochloride over 40 min, 70 kg, plasma (ng/mL of base)\n")
print(f"{'set / min':20s}" + "".join(f"{t:8.0f}" for t in TIMES_MIN) + "   t1/2 (min)")
for name, params in PK_SETS.items():
    result = simulate_pk(params, [Infusion(0.0, 0.5, 40.0)], WEIGHT_KG, TIMES_MIN)
    plasma = result.plasma_ng_per_ml
    half_life = terminal_half_life_min(params)
    peak_ok = MEASURED_PEAK_NG_PER_ML[0] <= plasma[0] <= MEASURED_PEAK_NG_PER_ML[1]
    t_ok = MEASURED_HALF_LIFE_MIN[0] <= half_life <= MEASURED_HALF_LIFE_MIN[1]
    print(f"{name:20s}" + "".join(f"{c:8.1f}" for c in plasma) + f"   {half_life:8.1f}"
          f"   peak {'inside' if peak_ok else 'OUTSIDE'} 150-250, t1/2 "
          f"{'inside' if t_ok else 'OUTSIDE'} 120-180 min")
print("\nmeasured: end of infusion about 150-250 ng/mL [R], 185 ng/mL [V2 Zanos 2018 "
      "Table 1]; terminal t1/2 about 2-3 h [R]")
