"""Planning: when (a forecast in, the best start out) and where (grids in, a ranking out)."""
