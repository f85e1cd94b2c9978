"""The REST API front door, emulated: `rungateway --api RestApi` (issue 20)."""
