// The service's public API, as the front end calls it: one named method per operation of the API's
// document (docs/openapi.json), JSON in and out, the session's tokens refreshed before they expire
// and once on a 401, errors carried in the API's own words. Nothing else of the page writes a path
// of the API or a header: the views call `state.api.generate(body)`, `state.api.listImages(query)`...
//
// The session's tokens are kept in localStorage, so a new tab and a browser restart stay signed in
// for as long as the service keeps the session (30 days). Every tab of the page shares them: a
// refresh token is used once (the service revokes a session whose token comes back later than 30 s),
// so one tab refreshes at a time and the others take its new tokens; a sign-out in one tab signs
// out the others.

const REFRESH_MARGIN_MS = 60_000; // refresh this long before the access token expires
const STORAGE_KEY = "imagegen.session";
const REFRESH_LOCK = "imagegen.refresh"; // held by the one tab refreshing the shared tokens
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
  updateMyProfile: { method: "PUT", path: "/users/me" },
  deleteMyAccount: { method: "DELETE", path: "/users/me" },
  listModels: { method: "GET", path: "/models", anonymous: true },
  stylePresets: { method: "GET", path: "/style-presets", anonymous: true },
  generate: { method: "POST", path: "/images/generate", idempotent: true },
  edit: { method: "POST", path: "/images/{image_id}/edit", idempotent: true },
  upscale: { method: "POST", path: "/images/{image_id}/upscale", idempotent: true },
  requestUpload: { method: "POST", path: "/images/upload" },
  listImages: { method: "GET", path: "/images", query: ["limit", "cursor", "type", "status", "favorite", "q"] },
  getImage: { method: "GET", path: "/images/{image_id}" },
  updateImage: { method: "PUT", path: "/images/{image_id}" },
  deleteImage: { method: "DELETE", path: "/images/{image_id}" },
  imageThread: { method: "GET", path: "/images/{image_id}/thread", query: ["limit", "cursor"] },
  getShare: { method: "GET", path: "/images/{image_id}/share" },
  shareImage: { method: "POST", path: "/images/{image_id}/share" },
  revokeShare: { method: "DELETE", path: "/images/{image_id}/share" },
  myTransactions: { method: "GET", path: "/users/me/transactions", query: ["limit", "cursor"] },
  myPrompts: { method: "GET", path: "/users/me/prompts", query: ["limit"] },
  startExport: { method: "POST", path: "/users/me/export" },
  getExport: { method: "GET", path: "/users/me/export" },
  myOrders: { method: "GET", path: "/users/me/orders", query: ["limit", "cursor"] },
  coinPacks: { method: "GET", path: "/coin-packs", anonymous: true },
  checkout: { method: "POST", path: "/coins/checkout", idempotent: true },
  getOrder: { method: "GET", path: "/coins/orders/{order_id}" },
  listUsers: { method: "GET", path: "/users", query: ["limit", "cursor", "email"] },
  updateUser: { method: "PUT", path: "/users/{user_id}" },
  grantCoins: { method: "POST", path: "/users/{user_id}/coins" },
  deleteUser: { method: "DELETE", path: "/users/{user_id}" },
  listUserImages: { method: "GET", path: "/users/{user_id}/images", query: ["limit", "cursor", "type", "status", "favorite", "q"] },
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

/** The session ended (logged out elsewhere, revoked, expired, the account suspended): sign in again. */
export class SessionEnded extends ApiError {}

/** Whether the service refused a call because the account is suspended: every token of it is refused
 * (403), and the session is over as surely as a revoked one (docs/api.md, Suspension). */
function suspended(error) {
  return error instanceof ApiError && error.code === "ACCOUNT_SUSPENDED";
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: API Gateway's own answers (throttling) or a proxy's
  }
  const error = body && body.error;
  if (error && error.code) {
    const answered = new ApiError(response.status, error.code, error.message, error.details || {});
    answered.fromApi = true; // its message is the service's own (in English), not the page's
    return answered;
  }
  // An HTTP status's own text ("Too Many Requests") is no word for people: the page says the code's.
  const busy = response.status === 429;
  return new ApiError(response.status, busy ? "RATE_LIMITED" : "UNAVAILABLE", busy ? "Too many requests." : "The service did not answer.");
}

/** The session as stored: `{ token, refreshToken, expiresAt, userId }`, or null. */
function stored() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    return null; // not ours, or damaged: no session
  }
}

/** `work()` while holding the page's lock `name` in every tab (the Web Locks API), or at once where
 * the browser has none. */
function holding(name, work) {
  return navigator.locks ? navigator.locks.request(name, work) : work();
}

export class Api {
  /** `baseUrl` is the API's origin ("" for the page's own), the routes hang off /api/v1.
   * `onSessionEnded(error)`: the service ended the session (revoked, expired). `onElsewhere(signedIn)`:
   * another tab signed out (false), or signed in someone this tab did not show (true). */
  constructor(baseUrl, onSessionEnded, onElsewhere = () => {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.onSessionEnded = onSessionEnded;
    this.onElsewhere = onElsewhere;
    this.session = stored();
    this.refreshing = null;
    window.addEventListener("storage", (event) => {
      if (event.storageArea === localStorage && (event.key === STORAGE_KEY || event.key === null)) this.followStorage();
    });
  }

  /** Another tab changed the stored session: its refreshed tokens are this tab's too (silently); its
   * sign-out signs this tab out; another user signed in there is shown here too. */
  followStorage() {
    const before = this.session;
    this.session = stored();
    if (!this.session) {
      if (before) this.onElsewhere(false);
    } else if (!before || before.userId !== this.session.userId) {
      this.onElsewhere(true);
    }
  }

  url(path) {
    return `${this.baseUrl}${PREFIX}${path}`;
  }

  signedIn() {
    return this.session !== null;
  }

  /** Keep new tokens of `userId`'s session, for this tab and the others. */
  keep(tokens, userId) {
    this.session = {
      token: tokens.token,
      refreshToken: tokens.refreshToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
      userId,
    };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
  }

  /** Forget the session, in every tab (the others hear of it and show the sign-in page). */
  forget() {
    this.session = null;
    localStorage.removeItem(STORAGE_KEY);
  }

  /** Sign in with a Google ID token (Google's button, or the local stack's issuer); `language`: the
   * page's, which a new user's profile takes (as Accept-Language). */
  async signIn(idToken, language = undefined) {
    const headers = language ? { "Accept-Language": language } : {};
    const body = await this.operation("signInWithGoogle", { body: { token: idToken }, headers });
    this.keep(body, body.user.id);
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

  /** New tokens for the session: one refresh at a time, however many calls (and tabs) need it. Under
   * the lock, the stored session is read again: tokens another tab got meanwhile are taken as they
   * are, its used refresh token never sent again. Rejects with SessionEnded when the service refuses
   * (the session is forgotten), with the error as it is when the service could not be asked (the
   * session is kept for the next try). */
  refresh() {
    if (!this.refreshing) {
      const used = this.session;
      this.refreshing = holding(REFRESH_LOCK, async () => {
        const now = stored();
        if (!now || now.userId !== used.userId) {
          this.followStorage(); // signed out (or in as someone else) in another tab
          throw elsewhere();
        }
        if (now.refreshToken !== used.refreshToken) {
          this.session = now; // refreshed by another tab
          return;
        }
        let tokens;
        try {
          tokens = await this.operation("refresh", { body: { refreshToken: now.refreshToken } });
        } catch (error) {
          if (!(error instanceof ApiError) || error.status === 429 || error.status >= 500) throw error;
          this.forget();
          throw new SessionEnded(error.status, error.code, error.message);
        }
        this.keep(tokens, now.userId);
      }).finally(() => {
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

  /** Change the signed-in user's own `language`, `firstName` or `lastName`. */
  updateMyProfile(changes) {
    return this.operation("updateMyProfile", { body: changes });
  }

  /** Delete the signed-in user's account, `email` (the account's) confirming it; the session is then
   * forgotten here, as the service has ended it. */
  async deleteMyAccount(email) {
    const body = await this.operation("deleteMyAccount", { body: { email } });
    this.forget();
    return body;
  }

  listModels() {
    return this.operation("listModels");
  }

  stylePresets() {
    return this.operation("stylePresets");
  }

  generate(body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("generate", { body, idempotencyKey });
  }

  edit(imageId, body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("edit", { params: { image_id: imageId }, body, idempotencyKey });
  }

  upscale(imageId, body, { idempotencyKey = crypto.randomUUID() } = {}) {
    return this.operation("upscale", { params: { image_id: imageId }, body, idempotencyKey });
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

  /** The image's active share link (404 when it has none). */
  getShare(imageId) {
    return this.operation("getShare", { params: { image_id: imageId } });
  }

  /** A share link for the image, `{ expiresInDays, showPrompt }`; the active one if it has one. */
  shareImage(imageId, body) {
    return this.operation("shareImage", { params: { image_id: imageId }, body });
  }

  revokeShare(imageId) {
    return this.operation("revokeShare", { params: { image_id: imageId } });
  }

  imageThread(imageId, query = {}) {
    return this.operation("imageThread", { params: { image_id: imageId }, query });
  }

  myTransactions(query = {}) {
    return this.operation("myTransactions", { query });
  }

  myPrompts(query = {}) {
    return this.operation("myPrompts", { query });
  }

  /** Start an export of everything of the signed-in user's (429 while one runs, or within a day). */
  startExport() {
    return this.operation("startExport");
  }

  /** The latest export: its progress, then its download (404 when there was none). */
  getExport() {
    return this.operation("getExport");
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

  /** Delete a user's account (an admin; not their own). */
  deleteUser(userId) {
    return this.operation("deleteUser", { params: { user_id: userId } });
  }

  listUserImages(userId, query = {}) {
    return this.operation("listUserImages", { params: { user_id: userId }, query });
  }

  userOrders(userId, query = {}) {
    return this.operation("userOrders", { params: { user_id: userId }, query });
  }

  /** The operation `name` of OPERATIONS: its path parameters filled in (`params`, each one segment),
   * only the query parameters it takes, its body, an Idempotency-Key where it takes one. */
  async operation(name, { params = {}, query = {}, body = undefined, idempotencyKey = undefined, headers: extra = {} } = {}) {
    const { method, path, query: accepted = [], anonymous = false, idempotent = false } = OPERATIONS[name];
    const unknown = Object.keys(query).filter((key) => !accepted.includes(key));
    if (unknown.length) throw new Error(`${name} takes no query parameter ${unknown.join(", ")}`);
    const filled = path.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]));
    const headers = idempotent && idempotencyKey ? { ...extra, "Idempotency-Key": idempotencyKey } : { ...extra };
    return this.request(method, filled, body, { anonymous, query, headers });
  }

  async request(method, path, body = undefined, { anonymous = false, query = {}, headers = {} } = {}) {
    if (!anonymous && this.session && Date.now() > this.session.expiresAt - REFRESH_MARGIN_MS) {
      await this.refreshOrEnd();
    }
    let sentWith = null; // the session whose token the call carried
    const send = () => {
      const url = new URL(this.url(path), window.location.href);
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
      }
      const sent = { ...headers };
      if (body !== undefined) sent["Content-Type"] = "application/json";
      sentWith = anonymous ? null : this.session;
      if (sentWith) sent.Authorization = `Bearer ${sentWith.token}`;
      return fetch(url, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    let response = await send();
    if (response.status === 401 && !anonymous && this.session) {
      const refused = await errorOf(response); // why the token was refused says more than the refresh
      // Tokens another tab got while the call was on its way are tried as they are.
      if (this.session === sentWith) await this.refreshOrEnd(refused);
      response = await send(); // once: a second 401 ends the session below
    }
    if (response.status === 204) return null;
    if (!response.ok) {
      const error = await errorOf(response);
      if ((response.status === 401 || suspended(error)) && !anonymous) {
        // Signed out in another tab while the call was on its way: that tab said so already.
        if (this.session === null) throw elsewhere();
        this.end(error);
      }
      throw error;
    }
    return response.json();
  }

  /** Refresh the tokens, or end the session if the service refused (said as `why`, else as the
   * refusal; a suspension is said as such, whatever the token it was found with); a refresh the service
   * could not be asked for fails this call only. */
  async refreshOrEnd(why = null) {
    try {
      await this.refresh();
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
      this.end(error.elsewhere || suspended(error) ? error : why || error);
    }
  }

  /** The session ended, `error` says why: forgotten in every tab and said (unless another tab ended
   * it, and said so), the call rejected with SessionEnded. */
  end(error) {
    const ended = error instanceof SessionEnded ? error : new SessionEnded(error.status, error.code, error.message);
    if (!ended.elsewhere) {
      this.forget();
      this.onSessionEnded(ended);
    }
    throw ended;
  }
}

/** The session ended by another tab (signed out there, or signed in as someone else). */
function elsewhere() {
  const ended = new SessionEnded(401, "UNAUTHORIZED", "Signed out in another tab.");
  ended.elsewhere = true;
  return ended;
}
