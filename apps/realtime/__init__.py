"""Live updates over API Gateway's WebSocket API: connections, tickets, fan-out of domain events."""
