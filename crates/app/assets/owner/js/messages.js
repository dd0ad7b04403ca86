/*
 * Owner dashboard: messages to the owner. flash() in #flash (role=status), showError() and
 * report(err) in #error (role=alert), and withBusy() against double submits.
 */

import { ApiError } from "./api.js";
import { $, clear, h } from "./dom.js";

let errorFromPoll = false;

export function flash(text, kind = "success") {
  const el = $("#flash");
  el.className = `flash flash-${kind}`;
  el.textContent = text;
}

export function clearFlash() {
  const el = $("#flash");
  el.className = "flash";
  el.textContent = "";
}

/** Shows an error: a friendly sentence, the stable code and the request id for support. */
export function showError(text, code, requestId, fromPoll = false) {
  const el = clear($("#error"));
  el.className = "error-box shown";
  el.append(h("span", { class: "error-text", text }));
  if (code) el.append(" ", h("span", { class: "error-code", text: `(${code})` }));
  if (requestId) el.append(" ", h("span", { class: "error-ref", text: `Ref: ${requestId}` }));
  errorFromPoll = fromPoll;
}

export function clearError(onlyPoll = false) {
  if (onlyPoll && !errorFromPoll) return;
  const el = clear($("#error"));
  el.className = "error-box";
}

/** Reports a failed call; overrides maps codes to friendlier sentences. */
export function report(err, overrides = {}, fromPoll = false) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    showError("Something went wrong in this page. Please reload it.", null, null, fromPoll);
    return;
  }
  if (err.sessionEnded) return; // endSession already explained it
  showError(overrides[err.code] || err.message, err.code, err.requestId, fromPoll);
}

/** Runs fn with the button disabled (no double submits). */
export async function withBusy(btn, fn) {
  if (btn && btn.disabled) return undefined;
  if (btn) {
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
  }
  try {
    return await fn();
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
    }
  }
}
