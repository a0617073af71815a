"""HTTP API glue shared by the handlers: the resolver, the error envelope, the caller."""
