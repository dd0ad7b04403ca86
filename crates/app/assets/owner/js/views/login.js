/*
 * Owner dashboard: the login view, logout and the store picker.
 */

import { api } from "../api.js";
import { refreshBadges, startBadges } from "../badges.js";
import { $ } from "../dom.js";
import { clearError, flash, report, showError, withBusy } from "../messages.js";
import { parseHash, route, VIEWS } from "../router.js";
import { endSession, resetStoreCaches, saveSession } from "../session.js";
import { KEY, state } from "../state.js";

export function enterLogin() {
  const hint = $("#login-hint");
  if (state.sandbox.enabled) {
    const email = $("#login-email");
    if (!email.value && state.sandbox.demo_email) email.value = state.sandbox.demo_email;
    hint.textContent = `Sandbox: log in as ${state.sandbox.demo_email || "the demo owner"}; the password is printed in the server log (look for "sandbox").`;
    hint.hidden = false;
  } else {
    hint.hidden = true;
  }
}

async function onLogin(e) {
  e.preventDefault();
  clearError();
  const email = $("#login-email").value.trim();
  const password = $("#login-password").value;
  if (!email || !password) {
    showError("Enter your email and your password.");
    (email ? $("#login-password") : $("#login-email")).focus();
    return;
  }
  await withBusy($("#login-submit"), async () => {
    try {
      const login = await api("POST", "/api/owner/login", { email, password }, { noAuth: true, noStore: true });
      saveSession(login);
      $("#login-password").value = "";
      clearError();
      if (!state.stores.length) flash("You are logged in, but no store belongs to this account yet.", "warning");
      const [view] = parseHash();
      if (!VIEWS.includes(view)) history.replaceState(null, "", `${location.pathname}#/accounts`);
      startBadges();
      route(true);
    } catch (err) {
      report(err, {
        invalid_credentials: "Wrong email or password",
        too_many_attempts: "Too many attempts, wait a minute",
      });
      $("#login-password").focus();
    }
  });
}

async function onLogout() {
  await withBusy($("#logout"), async () => {
    try {
      await api("POST", "/api/owner/logout", undefined, { noStore: true });
    } catch (_) {
      /* the session ends here anyway */
    }
  });
  clearError();
  flash("You are logged out.", "info");
  endSession(null);
}

function onStoreChange() {
  const id = $("#store-select").value;
  if (!state.stores.some((s) => s.id === id) || id === state.storeId) return;
  state.storeId = id;
  sessionStorage.setItem(KEY.store, id);
  resetStoreCaches();
  clearError();
  const store = state.stores.find((s) => s.id === id);
  flash(`Now showing ${store ? store.name : "the selected store"}.`, "info");
  const [view, arg] = parseHash();
  if (arg && (view === "orders" || view === "health")) history.replaceState(null, "", `${location.pathname}#/${view}`);
  route();
  refreshBadges();
}

/** The login form, the logout button and the store picker. */
export function wireLogin() {
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  $("#store-select").addEventListener("change", onStoreChange);
}
