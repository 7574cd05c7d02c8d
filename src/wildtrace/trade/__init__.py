"""Supply-chain analytics on CITES Trade Database and LEMIS records (DuckDB, out of core)."""
