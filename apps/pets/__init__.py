"""Pets: the owner-scoped CRUD resource."""
