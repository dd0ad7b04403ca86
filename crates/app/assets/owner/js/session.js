/*
 * Owner dashboard: the login session in sessionStorage (token, email, stores, chosen store),
 * and endSession(), which forgets it and everything cached for the store.
 */

import { stopBadges } from "./badges.js";
import { clear } from "./dom.js";
import { showError } from "./messages.js";
import { stopPolling } from "./poll.js";
import { route } from "./router.js";
import { KEY, state } from "./state.js";

export function loadSession() {
  try {
    state.token = sessionStorage.getItem(KEY.token);
    state.email = sessionStorage.getItem(KEY.email);
    const stores = JSON.parse(sessionStorage.getItem(KEY.stores) || "[]");
    state.stores = Array.isArray(stores) ? stores.filter((s) => s && typeof s.id === "string") : [];
    const chosen = sessionStorage.getItem(KEY.store);
    state.storeId = state.stores.some((s) => s.id === chosen) ? chosen : state.stores[0] ? state.stores[0].id : null;
  } catch (_) {
    state.token = null;
  }
}

export function saveSession(login) {
  state.token = login.token;
  state.email = login.email || null;
  state.stores = Array.isArray(login.stores) ? login.stores : [];
  state.storeId = state.stores[0] ? state.stores[0].id : null;
  sessionStorage.setItem(KEY.token, state.token);
  sessionStorage.setItem(KEY.email, state.email || "");
  sessionStorage.setItem(KEY.stores, JSON.stringify(state.stores));
  if (state.storeId) sessionStorage.setItem(KEY.store, state.storeId);
  else sessionStorage.removeItem(KEY.store);
}

export function endSession(why) {
  const had = !!state.token;
  for (const k of Object.values(KEY)) sessionStorage.removeItem(k);
  state.token = null;
  state.stores = [];
  state.storeId = null;
  resetStoreCaches();
  stopPolling();
  stopBadges();
  if (had && why) showError(why, "unauthorized");
  route();
}

export function resetStoreCaches() {
  state.accounts = null;
  state.paymentMethods = null;
  for (const p of state.proofs.values()) if (p.url) URL.revokeObjectURL(p.url);
  state.proofs.clear();
  state.detail = { id: null, sig: null, riderFor: null, data: null };
  state.health = { accountId: null, data: null };
  state.sandboxChat = { from: null };
  for (const id of ["account-list", "order-list", "payment-list", "customer-chat", "order-chat", "notification-list", "check-list"]) {
    clear(document.getElementById(id));
  }
}
