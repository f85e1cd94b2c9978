"""The AWS Lambda runtime: every Lambda entry point and the event-to-WSGI bridge.

Public surface (what the template, Zappa and other code may name):

- `lambda_runtime.handler`: the entry points `handler` (HTTP: API Gateway HTTP and REST
  APIs, ALB, Function URLs), `manage` (allow-listed management commands by direct invoke),
  `process_photos` (S3 notifications and the sweep schedule), `authorize_api_key` (the
  optional key authorizer) and `websocket` (the WebSocket API's routes, handed-off fan-outs
  and the connection sweep). Importing it runs the
  init phase (settings, `django.setup()`), so nothing else imports it.
- `lambda_runtime.adapter.LambdaWSGIAdapter`: Mangum's event parsing and response shaping
  around any Django WSGI application, with `error_result` for answers it makes itself.
- `lambda_runtime.aws_secrets`: `<NAME>_SECRET_ARN` resolution for the production settings.
- `lambda_runtime.stage.stage_prefix`: the stage-prefix policy (`API_GATEWAY_STAGE_PREFIX`).

`wsgi` (environ building), `commands` (the manage allow-list), `authorizer` (the key
authorizer's per-call plumbing) and `lazy` (modules whose code runs on first use) are internal.
"""
