"""Idempotency-Key records: one caller's key, its request fingerprint and stored response."""
