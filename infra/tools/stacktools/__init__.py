"""The project's own tools for its stack, apart from the local emulator: reading ``template.yaml``
(``template``), the front end as a site (``site``), the OpenAPI document (``openapi``), building
the layer (``build``) and the sample events (``samples``). ``infra/deploy.py`` and ``make openapi``
use these alone; the local stack (``devstack``) builds on them, never the other way round. The API's
one Python client (``api_client``), held to its document, is the smoke test's, the tests' and the
benchmark's: it needs only ``requests``."""
