"""Settings modules: base (shared), local (laptop), test (pytest) and production (AWS)."""
