"""The packaged science checks.

The disinhibition sign test (:mod:`~plasticity.studies.disinhibition`), the timeline
compression check (:mod:`~plasticity.studies.compression`), the NEST cross-check
(:mod:`~plasticity.studies.crosscheck`), the deafferentation readouts of Butz & van
Ooyen 2013 (:mod:`~plasticity.studies.deafferentation`) and the clinical clock against
a full real-time run (:mod:`~plasticity.studies.clinical_clock`).
"""
