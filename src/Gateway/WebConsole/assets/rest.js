// GETs on the gateway's REST API (docs/rest-api.md), same origin, with the token when one is set.
import { authHeaders } from "./credentials.js";

/** The gateway answered 401: a token is needed (or the one given is wrong, revoked or expired). */
export class AuthRequired extends Error {}

export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...authHeaders() }, cache: "no-store" });
  if (response.status === 401) throw new AuthRequired("the gateway requires an API token");
  if (!response.ok) throw new Error(await problemText(response));
  return response.json();
}

/** An RFC 9457 problem as one line: "title: detail (code)". */
async function problemText(response) {
  try {
    const problem = await response.json();
    const code = problem.code === undefined ? "" : ` (${problem.code})`;
    return `${problem.title ?? response.statusText}${problem.detail ? ": " + problem.detail : ""}${code}`;
  } catch {
    return `HTTP ${response.status} ${response.statusText}`;
  }
}
