"""greengate: carbon budgets as a CI gate."""

__version__ = "0.1.0"
