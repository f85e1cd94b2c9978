"""Shared API plumbing every app imports: errors, pagination, filters, parsers, schema, fields."""
