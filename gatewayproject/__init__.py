"""The Django project behind Amazon API Gateway: settings, URLs and every entry point."""
