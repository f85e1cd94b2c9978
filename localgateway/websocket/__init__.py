"""The local WebSocket API: routes from the template, events for the same Lambda handler,
API Gateway's limits, and the @connections Management API."""
