"""The local API Gateway: `manage.py rungateway` runs the real Lambda request path.

A development tool: only the local and test settings install it, its dependencies are in
the `dev` extra, and the Lambda zip never holds it. Public surface (what the command and
tests/infra may use; everything else is internal):

- `localgateway.intrinsics.load_template(text)`: a CloudFormation/SAM template (YAML or
  JSON) parsed by aws-sam-translator's parser, short-form tags in their long form.
- `localgateway.intrinsics.Resolver`: Ref, Fn::Sub, Fn::If, Fn::Join, Fn::Split,
  Fn::Select and conditions against parameter values. What only a deployment knows comes
  from hooks a subclass may override: `unknown_ref`, `sub_value`, `attribute_value`.
- `localgateway.spec.load_spec(path, ...)`: the `ApiSpec` the gateway serves, or a
  `TemplateError` saying why the template cannot be served.
"""
