"""API keys and usage plans: authentication, throttling, quotas, usage views and admin."""
