"""The whole local stack in one object: AWS emulation, resources, functions, the API, the issuer.

``python -m devstack`` runs it for people; the end-to-end tests start it on free ports.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devstack.aws import LOCAL_CREDENTIALS, MotoServer
from devstack.events import OnFailure, QueuePoller, RuleDelivery, Schedule, schedule_seconds, stop_all
from devstack.guard import LocalCallersOnly
from devstack.http_api import CorsConfiguration, HttpApiEmulator, LocalRoute
from devstack.iam import function_policy
from devstack.lambdas import LocalFunction
from devstack.persistence import Clients, SavedData
from devstack.provision import Provisioner
from stacktools.site import content_type, site_config, site_file, site_headers
from stacktools.template import ACCOUNT_ID, REGION, Template
from standins.gemini import API_VERSIONS, REQUEST_LOG_SIZE, LocalGemini
from standins.google import JWKS_MAX_AGE_SECONDS, LocalGoogleIssuer, sign_in_script
from standins.stripe import LocalStripe, new_secret_key, new_webhook_secret

LOCAL_GEMINI_PREFIX = "/_dev/gemini"
LOCAL_STRIPE_PREFIX = "/_dev/stripe"
STRIPE_WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, *_: object) -> None:
        """Invocations are logged by the API emulator, one line each."""


class _Deferred:
    """A WSGI app that forwards to one set later, so the server can bind (and learn its port) first."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


class LocalStack:
    def __init__(
        self,
        api_port: int = 3000,
        aws_port: int = 4566,
        host: str = "127.0.0.1",
        admin_emails: str = "admin@example.com",
        log_level: str = "WARNING",
        gemini_api_key: str | None = None,
        parameters: Mapping[str, str] | None = None,
        allowed_origins: Sequence[str] = (),
        data_dir: Path | None = None,
    ) -> None:
        self.host = host
        self.allowed_origins = list(allowed_origins)
        self._api_port = api_port
        self._aws_port = aws_port
        self._admin_emails = admin_emails
        self._log_level = log_level
        self._gemini_api_key = gemini_api_key
        self._extra_parameters = dict(parameters or {})
        # Where the data is kept between runs (devstack.persistence); None: it is not.
        self.data_dir = data_dir
        self.functions: dict[str, LocalFunction] = {}
        self._running = contextlib.ExitStack()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalStack:
        """Start everything; on any failure, stop what had started and re-raise."""
        try:
            self._start()
        except BaseException:
            self._running.close()
            raise
        return self

    def _start(self) -> None:
        self.aws = MotoServer(self.host, self._aws_port)
        self.aws.start()
        self._running.callback(self.aws.stop)
        deferred = _Deferred()
        server: BaseWSGIServer = make_server(
            self.host, self._api_port, deferred, threaded=True, request_handler=QuietRequestHandler
        )
        self._running.callback(server.server_close)
        self.api_url = f"http://{self.host}:{server.server_port}"
        self.issuer = LocalGoogleIssuer(issuer=f"{self.api_url}/_dev/google")

        self.template = Template.load(self._parameters())
        origins = self.template.parameters["AllowedOrigins"]
        self.aws.allow_origins(origins)
        Provisioner(self.template, self.boto_session(), endpoint_url=self.aws.url).provision()
        if self.data_dir is not None:
            self._keep_data(SavedData(self.data_dir))
        self.gemini = LocalGemini(api_key=self._gemini_key())
        # Stripe's API, hosted checkout page and webhooks (the SDK's base address: stripe.base_url).
        self.stripe = LocalStripe(
            api_key=self._stripe_secret("StripeApiKeySecret", "sk_test_", new_secret_key),
            webhook_secret=self._stripe_secret("StripeWebhookSecret", "whsec_", new_webhook_secret),
            webhook_url=f"{self.api_url}{STRIPE_WEBHOOK_PATH}",
            base_url=f"{self.api_url}{LOCAL_STRIPE_PREFIX}",
        )
        base_environment = self._lambda_base_environment()
        for logical_id, spec in self.template.functions().items():
            self.functions[logical_id] = LocalFunction(
                spec, base_environment, function_policy(self.template, logical_id)
            )
            self._running.callback(self.functions[logical_id].close)
        self._start_event_plumbing()
        api = self.template.resources["HttpApi"]
        emulator = HttpApiEmulator(
            routes=self.template.http_routes(),
            functions=self.functions,
            cors=CorsConfiguration.of(self.template.resolve(api["Properties"].get("CorsConfiguration"))),
            domain=f"{self.host}:{server.server_port}",
            local_routes=self._local_routes(),
        )
        # The API's own routes answer other origins as API Gateway does (without CORS headers);
        # the stack's own routes (the page, /_dev) do not answer them at all.
        deferred.app = LocalCallersOnly(emulator, origins, checks_origin=emulator.serves_locally)
        thread = threading.Thread(target=server.serve_forever, name="http-api", daemon=True)
        thread.start()
        self._running.callback(thread.join, 5)
        self._running.callback(server.shutdown)
        self.stripe.start()
        self._running.callback(self.stripe.stop)  # stops delivering before the API stops answering

    def _keep_data(self, saved: SavedData) -> None:
        """Put back what the last run kept, and keep what this one holds when it stops."""
        session = self.boto_session()

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=self.aws.url)  # type: ignore[call-overload]

        clients = Clients(
            dynamodb=client("dynamodb"),
            s3=client("s3"),
            secretsmanager=client("secretsmanager"),
            sqs=client("sqs"),
        )
        saved.restore(self.template, clients)
        # Runs at stop after everything registered later (functions, pollers, the API) has stopped.
        self._running.callback(saved.save, self.template, clients)

    def _start_event_plumbing(self) -> None:
        """Deliver the template's EventBridge rules and schedules to the local functions."""
        by_arn = {
            self.template.physical[name].attributes["Arn"]: function
            for name, function in self.functions.items()
        }
        sqs = self.boto_session().client("sqs", endpoint_url=self.aws.url)
        queues = {
            physical.attributes["Arn"]: physical
            for name, physical in self.template.physical.items()
            if self.template.resources[name].get("Type") == "AWS::SQS::Queue"
        }
        # Where an asynchronous event that failed every try goes (each function's EventInvokeConfig).
        on_failure = OnFailure(sqs, {arn: queue.ref for arn, queue in queues.items()})
        self.rules: dict[str, RuleDelivery] = {}
        for name, body in self.template.resources_of_type("AWS::Events::Rule").items():
            targets = [
                by_arn[target["Arn"]] for target in self.template.resolve(body["Properties"]["Targets"])
            ]
            queue_url = self.template.physical[name].attributes["DeliveryQueueUrl"]
            self.rules[name] = RuleDelivery(
                name,
                sqs,
                queue_url,
                targets,
                functools.partial(self.aws.wait_for_messages, queue_url),
                on_failure,
            )
        for function in self.functions.values():
            for event_name, event in function.spec.events.items():
                period = schedule_seconds(str(event.get("Properties", {}).get("Schedule", "")))
                if event.get("Type") == "Schedule" and period:
                    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{function.spec.name}-{event_name}"
                    schedule = Schedule(function, period, rule_arn, on_failure)
                    schedule.start()
                    self._running.callback(schedule.stop)
        pollers: list[QueuePoller] = []
        for function in self.functions.values():
            for event in function.spec.events.values():
                if event.get("Type") != "SQS":
                    continue
                properties = self.template.resolve(event.get("Properties", {}))
                queue = queues[properties["Queue"]]
                concurrency = int(properties.get("ScalingConfig", {}).get("MaximumConcurrency", 5))
                partial = "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", [])
                for _ in range(concurrency):
                    pollers.append(
                        QueuePoller(
                            function,
                            sqs,
                            queue.ref,
                            properties["Queue"],
                            int(properties.get("BatchSize", 10)),
                            partial,
                            functools.partial(self.aws.wait_for_messages, queue.ref),
                        )
                    )
        readers = [*self.rules.values(), *pollers]
        for reader in readers:
            reader.start()
        self._running.callback(stop_all, readers)

    def stop(self) -> None:
        """Stop everything that was started, in reverse order."""
        self._running.close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ configuration
    def _parameters(self) -> dict[str, str]:
        # The front end's own origin (by address and by name), and those of frontends served elsewhere.
        origins = [self.api_url, self.api_url.replace(self.host, "localhost"), *self.allowed_origins]
        return {
            "Stage": "dev",
            "GoogleClientId": self.issuer.client_id,
            "GoogleIssuers": self.issuer.issuer,
            "GoogleJwksUrl": self.issuer.jwks_url,
            "AdminEmails": self._admin_emails,
            "AllowedOrigins": ",".join(origins),
            "LogLevel": self._log_level,
            # Generation, scaled so that a provider that keeps failing ends FAILED within a minute.
            **(
                {"GenerateVisibilityTimeoutSeconds": "60"}
                if self._gemini_api_key
                else {
                    "GeminiBaseUrl": f"{self.api_url}{LOCAL_GEMINI_PREFIX}",
                    "GeminiTimeoutSeconds": "10",
                    "GeminiBackoffBaseSeconds": "0.05",
                    "GenerateVisibilityTimeoutSeconds": "2",
                }
            ),
            "GenerationDeadlineSeconds": "300",
            # Coins are bought through the local Stripe, and buyers come back to the local front end.
            "Payments": "enabled",
            "StripeApiBase": f"{self.api_url}{LOCAL_STRIPE_PREFIX}",
            "CheckoutReturnUrl": f"{self.api_url}/app/",
            # Share links are the stack's own /s/{token} pages; "make your own" is its front end (/).
            "SiteUrl": f"{self.api_url}/",
            **self._extra_parameters,
        }

    def _lambda_base_environment(self) -> dict[str, str]:
        inherited = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
        return {
            **inherited,
            **LOCAL_CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.aws.url,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            # No CloudWatch here reads the service's metric lines: they would only fill the terminal.
            "POWERTOOLS_METRICS_DISABLED": "true",
        }

    def _gemini_key(self) -> str:
        """The key in the template's Gemini secret: the real one when given, else the generated one
        the local stand-in then requires."""
        secrets = self.boto_session().client("secretsmanager", endpoint_url=self.aws.url)
        arn = self.template.physical["GeminiApiKeySecret"].ref
        if self._gemini_api_key:
            secrets.put_secret_value(SecretId=arn, SecretString=self._gemini_api_key)
            return self._gemini_api_key
        key: str = secrets.get_secret_value(SecretId=arn)["SecretString"]
        return key

    def _stripe_secret(self, logical_id: str, prefix: str, new: Callable[[], str]) -> str:
        """The value of one of the template's Stripe secrets, which the local Stripe is made with: the
        one kept from the last run, or a new one shaped like Stripe's in place of the placeholder the
        stack was provisioned with (so the payments function reads what the stand-in expects)."""
        secrets = self.boto_session().client("secretsmanager", endpoint_url=self.aws.url)
        arn = self.template.physical[logical_id].ref
        value: str = secrets.get_secret_value(SecretId=arn)["SecretString"]
        if not value.startswith(prefix):
            value = new()
            secrets.put_secret_value(SecretId=arn, SecretString=value)
        return value

    def boto_session(self) -> boto3.session.Session:
        """A boto3 session for the local AWS (use with ``endpoint_url=stack.aws.url``)."""
        return boto3.session.Session(
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

    def env(self, function: str) -> dict[str, str]:
        """The environment ``function`` runs with locally."""
        return self.functions[function].environment

    def env_of_every_function(self) -> dict[str, str]:
        """One environment with every function's settings, for a process that calls the services as
        any function would (the bench's)."""
        merged: dict[str, str] = {}
        for function in self.functions:
            merged.update(self.env(function))
        return merged

    # ------------------------------------------------------------------ local-only routes
    def _local_routes(self) -> dict[tuple[str, str], LocalRoute]:
        return {
            ("GET", "/docs"): lambda _: Response(status=308, headers={"Location": "/app/docs.html"}),
            # The front end (web/), as the deployed site serves it, configured for this stack.
            ("GET", "/"): lambda _: Response(status=308, headers={"Location": "/app/"}),
            ("GET", "/app"): lambda _: Response(status=308, headers={"Location": "/app/"}),
            ("GET", "/app/"): lambda _: self._web_file("index.html"),
            ("GET", "/app/config.json"): lambda _: _json(self.web_config()),
            ("GET", "/app/*"): lambda request: self._web_file(request.path.removeprefix("/app/")),
            ("POST", "/_dev/id-token"): self._id_token,
            ("GET", "/_dev/google/.well-known/openid-configuration"): lambda _: _json(
                self.issuer.openid_configuration()
            ),
            ("GET", "/_dev/google/oauth2/v3/certs"): self._jwks,
            ("GET", "/_dev/google/gsi/client"): self._gsi_client,
            # Any model's generateContent: the stand-in answers for the ones Google serves, 404 otherwise.
            **{
                ("POST", f"{LOCAL_GEMINI_PREFIX}/{version}/models/*"): self.gemini.handle
                for version in API_VERSIONS
            },
            ("GET", f"{LOCAL_GEMINI_PREFIX}/requests"): self._gemini_requests,
            **self.stripe.routes(),
            ("POST", "/_dev/faults"): self._faults,
            ("POST", "/_dev/invoke/*"): self._invoke,
        }

    def web_config(self) -> dict[str, Any]:
        """The front end's configuration: this stack's API, signed in through its Google stand-in."""
        return site_config(self.api_url, self.issuer.client_id, True, self.template.parameters)

    def _invoke(self, request: Request) -> Response:
        """``POST /_dev/invoke/<LogicalId>`` with an event: what ``sam local invoke -e`` does, without
        Docker. The function runs as it does for the stack; the answer is its result or its error."""
        name = request.path.removeprefix("/_dev/invoke/")
        function = self.functions.get(name)
        if function is None:
            return _error(
                404, "NOT_FOUND", f"No function {name}; they are {', '.join(sorted(self.functions))}."
            )
        event = _json_object(request)
        if isinstance(event, Response):
            return event
        invocation = function.invoke(event)
        return _json(
            {
                "result": invocation.result,
                "error": invocation.error,
                "durationMs": round(invocation.duration_ms, 1),
            }
        )

    def _faults(self, request: Request) -> Response:
        """``{"gemini": {"failNext": 3, "status": 503}}`` or ``{"gemini": null}``."""
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        if set(body) != {"gemini"}:
            return _validation_error(
                "gemini", 'Send {"gemini": {"failNext": N, "status": S}} or {"gemini": null}.'
            )
        fault = body["gemini"]
        if fault is None:
            self.gemini.clear_faults()
            return Response(status=204)
        count, status = (
            (fault.get("failNext"), fault.get("status")) if isinstance(fault, dict) else (None, None)
        )
        if not (isinstance(count, int) and count >= 0 and isinstance(status, int) and 400 <= status <= 599):
            return _validation_error(
                "gemini", "failNext is a count (0 or more) and status an HTTP error status."
            )
        self.gemini.fail_next(count, status)
        return Response(status=204)

    def _gemini_requests(self, request: Request) -> Response:
        """``?limit=N`` (1-100, default 20): what the Gemini stand-in was sent, newest first."""
        raw = request.args.get("limit", "20")
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= REQUEST_LOG_SIZE):
            return _validation_error("limit", f"a number from 1 to {REQUEST_LOG_SIZE}", location="query")
        return _json({"requests": self.gemini.requests(int(raw))})

    def _jwks(self, _: Request) -> Response:
        response = _json(self.issuer.jwks())
        response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
        return response

    def _web_file(self, path: str) -> Response:
        """A file of the front end (``web/``) with the deployed site's security headers; a path that
        leaves it, or names nothing, is 404."""
        file = site_file(path)
        if file is None:
            return _error(404, "NOT_FOUND", f"No file {path} in the front end.")
        headers = {
            "Cache-Control": "no-cache",
            **site_headers(self.template.document, self.api_url, self.aws.url),
        }
        return Response(file.read_bytes(), content_type=content_type(file), headers=headers)

    def _gsi_client(self, _: Request) -> Response:
        """The stand-in for Google's sign-in script: this stack's client id is the one Google knows,
        registered for the stack's allowed origins, and its chooser's tokens come from ``_id_token``."""
        registered = {
            "clientId": self.issuer.client_id,
            "origins": list(self.template.parameters["AllowedOrigins"]),
            "tokenUrl": f"{self.api_url}/_dev/id-token",
        }
        return Response(sign_in_script(registered), content_type="text/javascript; charset=utf-8")

    def _id_token(self, request: Request) -> Response:
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        unknown = set(body) - {"email", "firstName", "lastName"}
        if unknown:
            return _validation_error(sorted(unknown)[0], "Unknown field.")
        email = body.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            return _validation_error("email", "A valid email address is required.")
        names = {key: body.get(key) or "" for key in ("firstName", "lastName")}
        if not all(isinstance(value, str) and len(value) <= 100 for value in names.values()):
            return _validation_error("firstName", "Names are strings of at most 100 characters.")
        token = self.issuer.id_token(email.strip(), names["firstName"], names["lastName"])
        return _json({"token": token})


def _json_object(request: Request) -> dict[str, Any] | Response:
    """The request's body as a JSON object, or the answer (415, 400, 422) to a body that is none.

    Only JSON is taken: a page can send a form or text across origins without asking, but JSON
    only after a preflight, which the stack answers for its own origins only."""
    if request.mimetype != "application/json":
        return _error(415, "UNSUPPORTED_MEDIA_TYPE", "Send JSON, with Content-Type: application/json.")
    try:
        body = json.loads(request.get_data() or b"")
    except ValueError:
        return _error(400, "INVALID_JSON", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _validation_error("body", "Expected a JSON object.")
    return body


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    return _json({"error": {"code": code, "message": message, "details": details or {}}}, status)


def _validation_error(field: str, message: str, location: str = "body") -> Response:
    fields = [{"field": field, "in": location, "message": message}]
    return _error(422, "VALIDATION_ERROR", "The request is not valid.", {"fields": fields})
