/*
 * Owner dashboard: the one fetch wrapper. api() adds the bearer token and ?store_id=, parses
 * JSON and throws ApiError{status, code, message, requestId}; a 401 ends the session through
 * the handler set with onSessionEnd().
 */

import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId || null;
  }
}

let whenSessionEnds = () => {};

/**
 * Sets what a 401 on an authenticated call does (the entry passes endSession: this module sits
 * below the session and the router, so it cannot import them).
 */
export function onSessionEnd(fn) {
  whenSessionEnds = fn;
}

/**
 * One call to the backend. Adds the bearer and ?store_id= (unless opts.noAuth / noStore),
 * parses JSON, throws ApiError{status, code, message}. A 401 on an authenticated call ends
 * the session. opts.blob returns {blob, type} instead of JSON.
 */
export async function api(method, path, body, opts = {}) {
  const url = new URL(path, location.origin);
  if (!opts.noStore && state.storeId) url.searchParams.set("store_id", state.storeId);
  const headers = { Accept: opts.blob ? "*/*" : "application/json" };
  if (!opts.noAuth && state.token) headers.Authorization = `Bearer ${state.token}`;
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url.href, init);
  } catch (_) {
    throw new ApiError(0, "network", "Cannot reach the server. Check your internet connection and try again.");
  }
  if (res.status === 401 && !opts.noAuth) {
    whenSessionEnds("Your session has ended. Please log in again.");
    const err = new ApiError(401, "unauthorized", "Your session has ended. Please log in again.");
    err.sessionEnded = true;
    throw err;
  }
  if (res.ok && opts.blob) {
    const blob = await res.blob();
    return { blob, type: blob.type || res.headers.get("content-type") || "" };
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = null;
    }
  }
  if (!res.ok) {
    const code = (data && typeof data.error === "string" && data.error) || `http_${res.status}`;
    const message = (data && typeof data.message === "string" && data.message) || `The server answered ${res.status} ${res.statusText}.`;
    throw new ApiError(res.status, code, message, data && data.request_id);
  }
  return data;
}
