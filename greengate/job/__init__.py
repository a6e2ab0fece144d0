"""A CI job measured across its steps: ``greengate start``, ``lap NAME``, ``stop`` (docs/job.md).

``start`` leaves a small detached sampler that folds the machine's utilisation (``/proc/stat``)
into a histogram in the state directory; ``lap`` and ``stop`` cut that record into laps, and
``stop`` hands the laps to the same energy model, judge and reporters as ``greengate run``.
"""
