"""Report writers over the ledger: the HTML trend report and the badge (docs/report.md)."""
