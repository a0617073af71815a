// The service's public API, as the front end calls it: JSON in and out, the session's tokens
// refreshed before they expire and once on a 401, errors carried in the API's own words.

const REFRESH_MARGIN_MS = 60_000; // refresh this long before the access token expires
const STORAGE_KEY = "imagegen.session";

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
  const message = (body && body.message) || response.statusText || "The service did not answer.";
  return new ApiError(response.status, response.status === 429 ? "RATE_LIMITED" : "UNAVAILABLE", message);
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
    return `${this.baseUrl}/api/v1${path}`;
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
    const body = await this.request("POST", "/auth/google", { token: idToken }, { anonymous: true });
    this.keep(body);
    return body.user;
  }

  async signOut() {
    try {
      if (this.session) await this.request("POST", "/auth/logout");
    } finally {
      this.forget();
    }
  }

  /** One refresh at a time, however many calls need it. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = this.request("POST", "/auth/refresh", { refreshToken: this.session.refreshToken }, { anonymous: true })
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
