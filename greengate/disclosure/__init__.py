"""Figures organisations file, built from the ledger: ESRS E1 (energy, Scope 2) and SCI."""
