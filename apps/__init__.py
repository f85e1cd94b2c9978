"""Django apps, one per concern: pets, photos, api_keys, gateway."""
