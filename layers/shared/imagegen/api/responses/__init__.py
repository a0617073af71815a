"""The bodies the API answers with, as models, one module per area so that a function builds only its own:
the handlers build them, and the OpenAPI document is generated from the same classes, so what is
documented is what is sent."""
