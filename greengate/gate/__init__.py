"""The gate: prepare, supervise, judge, publish (one run of greengate, start to finish)."""
