"""The packaged science checks.

The disinhibition sign test (:mod:`~plasticity.studies.disinhibition`), the timeline
compression check (:mod:`~plasticity.studies.compression`) and the NEST cross-check
(:mod:`~plasticity.studies.crosscheck`).
"""
