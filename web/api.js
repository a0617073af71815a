// The service's public API, as the front end calls it: one named method per operation of the API's
// document (docs/openapi.json), JSON in and out, the session's tokens refreshed before they expire
// and once on a 401, errors carried in the API's own words. Nothing else of the page writes a path
// of the API or a header: the views call `state.api.generate(body)`, `state.api.listImages(query)`...

import { words } from "./words.js";

const REFRESH_MARGIN_MS = 60_000; // refresh this long before the access token expires
const STORAGE_KEY = "imagegen.session";
const PREFIX = "/api/v1";

// Every operation the page calls, by the document's operationId in camelCase: its method, its path
// under /api/v1 (`{name}`: a path parameter), the query parameters it takes, whether it is open to
// anyone (no token) and takes an Idempotency-Key. tests/unit/web/test_api.py holds each line to the
// document: one operation a line.
const OPERATIONS = {
  signInWithGoogle: { method: "POST", path: "/auth/google", anonymous: true },
  refresh: { method: "POST", path: "/auth/refresh", anonymous: true },
  logout: { method: "POST", path: "/auth/logout" },
  me: { method: "GET", path: "/auth/me" },
  listModels: { method: "GET", path: "/models", anonymous: true },
  generate: { method: "POST", path: "/images/generate", idempotent: true },
  edit: { method: "POST", path: "/images/{image_id}/edit", idempotent: true },
  requestUpload: { method: "POST", path: "/images/upload" },
  listImages: { method: "GET", path: "/images", query: ["limit", "cursor", "type", "status"] },
  getImage: { method: "GET", path: "/images/{image_id}" },
  updateImage: { method: "PUT", path: "/images/{image_id}" },
  deleteImage: { method: "DELETE", path: "/images/{image_id}" },
  imageThread: { method: "GET", path: "/images/{image_id}/thread", query: ["limit", "cursor"] },
  myTransactions: { method: "GET", path: "/users/me/transactions", query: ["limit", "cursor"] },
  myOrders: { method: "GET", path: "/users/me/orders", query: ["limit", "cursor"] },
  coinPacks: { method: "GET", path: "/coin-packs", anonymous: true },
  checkout: { method: "POST", path: "/coins/checkout", idempotent: true },
  getOrder: { method: "GET", path: "/coins/orders/{order_id}" },
  listUsers: { method: "GET", path: "/users", query: ["limit", "cursor", "email"] },
  updateUser: { method: "PUT", path: "/users/{user_id}" },
  grantCoins: { method: "POST", path: "/users/{user_id}/coins" },
  listUserImages: { method: "GET", path: "/users/{user_id}/images", query: ["limit", "cursor", "type", "status"] },
  userOrders: { method: "GET", path: "/users/{user_id}/orders", query: ["limit", "cursor"] },
  openapiDocument: { method: "GET", path: "/openapi.json", anonymous: true },
};

/** Where the API's document is, for the API at `apiUrl` (the reference page reads it). */
export function documentUrl(apiUrl) {
  return `${apiUrl.replace(/\/+$/, "")}${PREFIX}${OPERATIONS.openapiDocument.path}`;
}

/** An error answered by the API: its status, `code` and `message`, as the contract words them. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The session ended (logged out elsewhere, revoked, expired): sign in again. */
export class SessionEnded extends ApiError {}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: API Gateway's own answers (throttling) or a proxy's
  }
  const error = body && body.error;
  if (error && error.code) return new ApiError(response.status, error.code, error.message, error.details || {});
  // An HTTP status's own text ("Too Many Requests") is no word for people.
  const busy = response.status === 429;
  return new ApiError(response.status, busy ? "RATE_LIMITED" : "UNAVAILABLE", busy ? words.busy : words.unavailable);
}

export class Api {
  /** `baseUrl` is the API's origin ("" for the page's own), the routes hang off /api/v1. */
  constructor(baseUrl, onSessionEnded) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.onSessionEnded = onSessionEnded;
    this.session = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    this.refreshing = null;
  }

  url(path) {
    return `${this.baseUrl}${PREFIX}${path}`;
  }

  signedIn() {
    return this.session !== null;
  }

  keep(tokens) {
    this.session = {
      token: tokens.token,
      refreshToken: tokens.refreshToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
  }

  forget() {
    this.session = null;
    sessionStorage.removeItem(STORAGE_KEY);
  }

  /** Sign in with a Google ID token (Google's button, or the local stack's issuer). */
  async signIn(idToken) {
    const body = await this.operation("signInWithGoogle", { body: { token: idToken } });
    this.keep(body);
    return body.user;
  }

  async signOut() {
    try {
      if (this.session) await this.operation("logout");
    } finally {
      this.forget();
    }
  }

  /** An ID token for a user of the local stack's Google issuer (`/_dev/id-token`, not the API's:
   * a deployment has none), or null when it refuses. */
  async localIdToken({ email, firstName, lastName }) {
    const response = await fetch(`${this.baseUrl}/_dev/id-token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, firstName, lastName }),
    });
    return response.ok ? (await response.json()).token : null;
  }

  /** One refresh at a time, however many calls need it. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = this.operation("refresh", { body: { refreshToken: this.session.refreshToken } })
        .then((tokens) => this.keep(tokens))
        .catch((error) => {
          this.forget();
          throw new SessionEnded(error.status || 401, error.code || "UNAUTHORIZED", error.message);
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  // ---------------------------------------------------------------- the operations, by name
  // A fresh Idempotency-Key each call unless one is given: a click the network retries charges once.

  me() {
    return this.operation("me");
  }

  listModels() {
    return this.operation("listModels");
  }

  generate(body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("generate", { body, idempotencyKey });
  }

  edit(imageId, body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("edit", { params: { image_id: imageId }, body, idempotencyKey });
  }

  requestUpload(body) {
    return this.operation("requestUpload", { body });
  }

  listImages(query = {}) {
    return this.operation("listImages", { query });
  }

  getImage(imageId) {
    return this.operation("getImage", { params: { image_id: imageId } });
  }

  updateImage(imageId, body) {
    return this.operation("updateImage", { params: { image_id: imageId }, body });
  }

  deleteImage(imageId) {
    return this.operation("deleteImage", { params: { image_id: imageId } });
  }

  imageThread(imageId, query = {}) {
    return this.operation("imageThread", { params: { image_id: imageId }, query });
  }

  myTransactions(query = {}) {
    return this.operation("myTransactions", { query });
  }

  myOrders(query = {}) {
    return this.operation("myOrders", { query });
  }

  coinPacks() {
    return this.operation("coinPacks");
  }

  checkout(body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("checkout", { body, idempotencyKey });
  }

  getOrder(orderId) {
    return this.operation("getOrder", { params: { order_id: orderId } });
  }

  listUsers(query = {}) {
    return this.operation("listUsers", { query });
  }

  updateUser(userId, body) {
    return this.operation("updateUser", { params: { user_id: userId }, body });
  }

  grantCoins(userId, body) {
    return this.operation("grantCoins", { params: { user_id: userId }, body });
  }

  listUserImages(userId, query = {}) {
    return this.operation("listUserImages", { params: { user_id: userId }, query });
  }

  userOrders(userId, query = {}) {
    return this.operation("userOrders", { params: { user_id: userId }, query });
  }

  /** The operation `name` of OPERATIONS: its path parameters filled in (`params`, each one segment),
   * only the query parameters it takes, its body, an Idempotency-Key where it takes one. */
  async operation(name, { params = {}, query = {}, body = undefined, idempotencyKey = undefined } = {}) {
    const { method, path, query: accepted = [], anonymous = false, idempotent = false } = OPERATIONS[name];
    const unknown = Object.keys(query).filter((key) => !accepted.includes(key));
    if (unknown.length) throw new Error(`${name} takes no query parameter ${unknown.join(", ")}`);
    const filled = path.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]));
    const headers = idempotent && idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
    return this.request(method, filled, body, { anonymous, query, headers });
  }

  async request(method, path, body = undefined, { anonymous = false, query = {}, headers = {} } = {}) {
    if (!anonymous && this.session && Date.now() > this.session.expiresAt - REFRESH_MARGIN_MS) {
      await this.refresh().catch((error) => this.ended(error));
    }
    const send = () => {
      const url = new URL(this.url(path), window.location.href);
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
      }
      const sent = { ...headers };
      if (body !== undefined) sent["Content-Type"] = "application/json";
      if (!anonymous && this.session) sent.Authorization = `Bearer ${this.session.token}`;
      return fetch(url, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    let response = await send();
    if (response.status === 401 && !anonymous && this.session) {
      const refused = await errorOf(response); // why the token was refused says more than the refresh
      await this.refresh().catch(() => this.ended(refused));
      response = await send(); // once: a second 401 ends the session below
    }
    if (response.status === 204) return null;
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && !anonymous) this.ended(error);
      throw error;
    }
    return response.json();
  }

  ended(error) {
    this.forget();
    const ended = error instanceof SessionEnded ? error : new SessionEnded(401, error.code, error.message);
    this.onSessionEnded(ended);
    throw ended;
  }
}
