// The frontdesk HTTP API as the page uses it: bearer tokens kept in localStorage, one refresh on a
// 401 (shared by concurrent requests), errors as ApiError with the server's `detail`.

const STORE_KEY = "frontdesk.session";

export class ApiError extends Error {
  constructor(status, detail, { code = null, retryAfter = null } = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

async function errorFrom(response) {
  let detail = response.statusText || `HTTP ${response.status}`;
  let code = null;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    code = body.code ?? null;
  } catch {
    /* not JSON: keep the status text */
  }
  const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError(response.status, detail, { code, retryAfter: Number.isFinite(retry) ? retry : null });
}

export class Api {
  constructor() {
    this.session = this.#load();
    this.refreshing = null;
    this.onSignedOut = () => {};
  }

  #load() {
    try {
      return JSON.parse(localStorage.getItem(STORE_KEY)) ?? null;
    } catch {
      return null;
    }
  }

  #save(session) {
    this.session = session;
    if (session) localStorage.setItem(STORE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORE_KEY);
  }

  get signedIn() {
    return Boolean(this.session?.access_token);
  }

  /** fetch() with the access token; on 401 refresh once and retry. Returns the Response. */
  async fetch(path, { method = "GET", json, body, headers = {}, signal } = {}) {
    const send = () => {
      const h = { ...headers };
      if (this.session?.access_token) h.Authorization = `Bearer ${this.session.access_token}`;
      let payload = body;
      if (json !== undefined) {
        h["Content-Type"] = "application/json";
        payload = JSON.stringify(json);
      }
      return fetch(path, { method, headers: h, body: payload, signal, credentials: "omit" });
    };
    let response = await send();
    if (response.status === 401 && this.session?.refresh_token && (await this.#refresh())) {
      response = await send();
    }
    if (response.status === 401 && this.session) {
      this.#save(null);
      this.onSignedOut("Your session has ended. Please sign in again.");
    }
    return response;
  }

  /** JSON in, JSON out; non-2xx throws ApiError. */
  async request(path, options = {}) {
    const response = await this.fetch(path, options);
    if (!response.ok) throw await errorFrom(response);
    return response.status === 204 ? null : response.json();
  }

  #refresh() {
    this.refreshing ??= (async () => {
      try {
        const response = await fetch("/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: this.session.refresh_token }),
          credentials: "omit",
        });
        if (!response.ok) return false;
        const { access_token } = await response.json();
        this.#save({ ...this.session, access_token });
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => (this.refreshing = null), 0);
      }
    })();
    return this.refreshing;
  }

  async #signIn(path, payload) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit",
    });
    if (!response.ok) throw await errorFrom(response);
    const body = await response.json();
    this.#save({
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      user: { name: body.user.name, email: body.user.email },
    });
    return body;
  }

  login(email, password) {
    return this.#signIn("/auth/login", { email, password });
  }

  register(name, email, password) {
    return this.#signIn("/auth/register", { name, email, password });
  }

  async logout() {
    const refresh = this.session?.refresh_token;
    try {
      if (this.session) await this.fetch("/auth/logout", { method: "POST", json: { refresh_token: refresh } });
    } finally {
      this.#save(null);
    }
  }

  /** The ?token= for the voice WebSocket (browsers cannot set headers on a WebSocket). */
  get accessToken() {
    return this.session?.access_token ?? null;
  }

  /** Check the access token now (refreshing it if it expired) so a WebSocket gets a fresh one. */
  async ensureFresh() {
    await this.request("/auth/me");
  }
}

export { errorFrom };
