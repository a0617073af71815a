"""The local stack: the whole backend on one machine, from template.yaml, with no AWS account and no Docker.

- ``aws``: moto server on loopback, serialized so it behaves like AWS under concurrency.
- ``template``: reads template.yaml and resolves its intrinsics against the local resources.
- ``provision``: creates the template's tables, bucket, queues and secret in moto.
- ``lambdas``: runs each function like Lambda does: its own process, its template env, warm reuse.
- ``http_api``: an API Gateway HTTP API emulator (payload format 2.0) routing by the template.
- ``google``: a local OIDC issuer standing in for Google.
- ``stack``: all of it together; ``python -m devstack`` runs it.
"""
