"""The local API Gateway: `manage.py rungateway` runs the real Lambda request path."""
