"""Budget history: every gated run as one record in a ledger (SQLite or PostgreSQL)."""
