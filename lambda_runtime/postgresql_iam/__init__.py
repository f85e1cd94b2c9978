"""Django's PostgreSQL backend authenticating with an IAM token (RDS Proxy, RDS IAM auth)."""
