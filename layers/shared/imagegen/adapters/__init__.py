"""Adapters: the outside world behind the small interfaces the use cases need. S3 (``storage``, and
the presigned URLs of ``url_signing``), SQS (``queue``), Gemini's REST API (``gemini``), Google's
sign-in keys (``google_identity``), Stripe (``stripe_gateway``), JWT (``access_tokens``), Pillow and
libvips (``imaging``); DynamoDB's are ``imagegen.repositories``. Each turns its service's failures into
the service's own errors; none imports a use case."""
