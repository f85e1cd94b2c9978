"""The REST API front door's control plane: the admin's plans and keys kept in API Gateway."""
