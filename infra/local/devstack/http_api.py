"""An API Gateway HTTP API emulator: routes by the template, speaks payload format 2.0.

It does what API Gateway does in front of our functions: picks the most specific route
(exact paths over path variables over greedy ones, a method over ``ANY``, ``$default``
last), builds the v2 event (request context, path parameters, query strings, cookies,
base64 bodies), maps the function's result back to HTTP, answers CORS preflights and
adds CORS headers from the API's ``CorsConfiguration``, and turns function failures into
API Gateway's own 500/503 answers.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from devstack.lambdas import Invocation, LocalFunction, log_invocation
from stacktools.template import ACCOUNT_ID, HttpRoute

log = logging.getLogger("devstack.api")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
API_ID = "local"
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded))(;.*)?$", re.I
)

LocalRoute = Callable[[Request], Response]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str] | None
    priority: tuple[int, ...]

    @classmethod
    def of(cls, route: HttpRoute) -> _CompiledRoute:
        if route.path is None:
            return cls(route, None, (9, 0, 0, 0))
        segments = route.path.strip("/").split("/")
        parts, variables, greedy = [], 0, 0
        for segment in segments:
            match = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
            if match is None:
                parts.append(re.escape(segment))
            elif match.group(2):
                greedy += 1
                parts.append(f"(?P<{match.group(1)}>.+)")
            else:
                variables += 1
                parts.append(f"(?P<{match.group(1)}>[^/]+)")
        pattern = re.compile("^/" + "/".join(parts) + "/?$")
        priority = (greedy, variables, -len(segments), 1 if route.method == "ANY" else 0)
        return cls(route, pattern, priority)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.method not in ("ANY", method):
            return None
        if self.pattern is None:
            return {}
        found = self.pattern.match(path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class CorsConfiguration:
    allow_origins: Sequence[str]
    allow_methods: Sequence[str]
    allow_headers: Sequence[str]
    expose_headers: Sequence[str]
    max_age: int | None
    allow_credentials: bool

    @classmethod
    def of(cls, properties: Mapping[str, Any] | None) -> CorsConfiguration | None:
        if not properties:
            return None
        return cls(
            allow_origins=list(properties.get("AllowOrigins", [])),
            allow_methods=[method.upper() for method in properties.get("AllowMethods", [])],
            allow_headers=[header.lower() for header in properties.get("AllowHeaders", [])],
            expose_headers=list(properties.get("ExposeHeaders", [])),
            max_age=properties.get("MaxAge"),
            allow_credentials=bool(properties.get("AllowCredentials", False)),
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        if origin is None:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None


class HttpApiEmulator:
    """A WSGI application standing in for one HTTP API and its Lambda integrations."""

    def __init__(
        self,
        routes: Sequence[HttpRoute],
        functions: Mapping[str, LocalFunction],
        cors: CorsConfiguration | None,
        domain: str,
        local_routes: Mapping[tuple[str, str], LocalRoute] | None = None,
    ) -> None:
        self._routes = sorted((_CompiledRoute.of(route) for route in routes), key=lambda item: item.priority)
        self._functions = functions
        self._cors = cors
        self._domain = domain
        self._local_routes = dict(local_routes or {})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        origin = request.headers.get("Origin")
        local = self._local_route(request.method, request.path)
        if local is not None:
            response = local(request)
        elif request.content_length and request.content_length > MAX_PAYLOAD_BYTES:
            return _gateway_error(413, "Request Entity Too Large")
        elif (
            request.method == "OPTIONS"
            and self._cors
            and request.headers.get("Access-Control-Request-Method")
        ):
            return self._preflight(origin)
        else:
            response = self._integrate(request)
        self._add_cors(response.headers, origin)
        return response

    def serves_locally(self, path: str) -> bool:
        """Whether ``path`` is one of the local routes (by any method), not the API's."""
        return any(self._local_route(method, path) for method, _ in self._local_routes)

    def _local_route(self, method: str, path: str) -> LocalRoute | None:
        """The local route for a request: its exact path, or a prefix registered as ``/prefix/*``."""
        exact = self._local_routes.get((method, path))
        if exact is not None:
            return exact
        return next(
            (
                route
                for (route_method, route_path), route in self._local_routes.items()
                if route_method == method and route_path.endswith("/*") and path.startswith(route_path[:-1])
            ),
            None,
        )

    def _integrate(self, request: Request) -> Response:
        found = self._match(request.method, request.path)
        if found is None:
            return _gateway_error(404, "Not Found")
        route, path_parameters = found
        request_id = uuid.uuid4().hex[:20]
        event = self._event(request, route, path_parameters, request_id)
        function = self._functions[route.function]
        invocation = function.invoke(event)
        response = _http_response(invocation)
        response.headers["apigw-requestid"] = request_id
        log_invocation(
            log, route.function, request.method, request.path, str(response.status_code), invocation
        )
        if invocation.error is not None:
            log.error(
                "%s failed: %s",
                route.function,
                "".join(invocation.error.get("stackTrace", [])) or invocation.error.get("errorMessage"),
            )
        return response

    def _match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self._routes:
            parameters = compiled.match(method, path)
            if parameters is not None:
                return compiled.route, parameters
        return None

    def _event(
        self, request: Request, route: HttpRoute, path_parameters: dict[str, str], request_id: str
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            if key != "cookie":
                headers[key] = f"{headers[key]},{value}" if key in headers else value
        headers.setdefault("host", self._domain)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": quote(request.path),
            "rawQueryString": request.query_string.decode("latin-1"),
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "domainName": self._domain,
                "domainPrefix": self._domain.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "requestId": request_id,
                "routeKey": route.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        cookies = request.headers.get("Cookie")
        if cookies:
            event["cookies"] = [cookie.strip() for cookie in cookies.split(";") if cookie.strip()]
        if request.args:
            event["queryStringParameters"] = {
                key: ",".join(request.args.getlist(key)) for key in request.args
            }
        if path_parameters:
            event["pathParameters"] = path_parameters
        body = request.get_data()
        if body:
            if _TEXT_TYPES.match(request.content_type or "") and _is_utf8(body):
                event["body"] = body.decode()
            else:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        return event

    def _preflight(self, origin: str | None) -> Response:
        assert self._cors is not None
        response = Response(status=204)
        allowed = self._cors.allowed_origin(origin)
        if allowed:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Access-Control-Allow-Methods"] = ",".join(self._cors.allow_methods)
            if self._cors.allow_headers:
                response.headers["Access-Control-Allow-Headers"] = ",".join(self._cors.allow_headers)
            if self._cors.max_age is not None:
                response.headers["Access-Control-Max-Age"] = str(self._cors.max_age)
            if self._cors.allow_credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    def _add_cors(self, headers: Headers, origin: str | None) -> None:
        if self._cors is None:
            return
        allowed = self._cors.allowed_origin(origin)
        if not allowed:
            return
        headers["Access-Control-Allow-Origin"] = allowed
        if self._cors.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self._cors.expose_headers)
        if self._cors.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        headers["Vary"] = "Origin"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _gateway_error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


def _http_response(invocation: Invocation) -> Response:
    """What API Gateway answers for a Lambda's result (payload format 2.0)."""
    if invocation.error is not None:
        if invocation.error.get("errorType") == "TimeoutError":
            return _gateway_error(503, "Service Unavailable")
        return _gateway_error(500, "Internal Server Error")
    result = invocation.result
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway infers a 200 JSON response from any other valid JSON result.
        return Response(json.dumps(result), status=200, content_type="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(data, status=int(result["statusCode"]))
    response.headers.pop("Content-Type", None)
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
