// The API token the operator pasted, kept in this module's memory only: not in localStorage or a cookie, so it leaves
// nothing in the browser profile and a reload forgets it. With no token the gateway decides: the embedded default on
// loopback lets everyone in (docs/security.md, safe defaults).

let token = "";

export function setToken(value) {
  token = value.trim();
}

export function hasToken() {
  return token !== "";
}

/** Headers for a REST request: the token as a Bearer credential, when there is one. */
export function authHeaders() {
  return hasToken() ? { Authorization: `Bearer ${token}` } : {};
}
