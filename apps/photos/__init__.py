"""Photos: direct and presigned uploads, processing (resize, metadata strip), S3 events."""
