"""File helpers: atomic writes, the per-machine cache, the shipped schemas."""
