/*
 * Owner dashboard: hash routing. route() shows the login or one view, marks the nav and calls
 * the view's enter function (registered by the entry with defineViews); it also draws the
 * session chrome (store name or picker, logout, nav).
 */

import { $, $$, clear, h } from "./dom.js";
import { stopPolling } from "./poll.js";
import { state } from "./state.js";

export const VIEWS = ["accounts", "health", "orders", "payments", "sandbox"];

// The views' enter functions, keyed by view name plus "login" (see defineViews).
const views = {};

/**
 * Sets each view's enter(arg, gen) and the login view's enter(); the entry calls this once, so
 * the router imports no view (and no view module imports back into a circle).
 */
export function defineViews(table) {
  Object.assign(views, table);
}

export function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  return [parts[0] || "", parts[1] ? decodeURIComponent(parts[1]) : null];
}

function renderSessionChrome() {
  const logged = !!state.token;
  $("#session").hidden = !logged;
  $("#app-nav").hidden = !logged;
  $("#nav-sandbox").hidden = !(logged && state.sandbox.enabled);
  const select = $("#store-select");
  const many = state.stores.length > 1;
  $("#store-picker").hidden = !many;
  const current = state.stores.find((s) => s.id === state.storeId);
  $("#store-name").textContent = !many && current ? current.name : "";
  if (many) {
    clear(select);
    for (const s of state.stores) select.append(h("option", { value: s.id, text: s.name }));
    select.value = state.storeId;
  }
}

export function route(focusHeading = false) {
  stopPolling();
  const gen = ++state.routeGen;
  renderSessionChrome();
  const all = ["login-view", ...VIEWS.map((v) => `view-${v}`)];
  let show;
  let view = null;
  let arg = null;
  if (!state.token) {
    show = "login-view";
  } else {
    [view, arg] = parseHash();
    if (!VIEWS.includes(view) || (view === "sandbox" && !state.sandbox.enabled)) {
      view = "accounts";
      arg = null;
      history.replaceState(null, "", `${location.pathname}${location.search}#/accounts`);
    }
    show = `view-${view}`;
  }
  for (const id of all) document.getElementById(id).hidden = id !== show;
  for (const a of $$("#app-nav a[data-nav]")) {
    if (a.dataset.nav === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  state.view = view;
  document.title = `${view ? view[0].toUpperCase() + view.slice(1) : "Log in"} · OmniPortal`;
  if (!state.token) {
    views.login();
    return;
  }
  views[view](arg, gen);
  if (focusHeading) {
    const heading = view === "orders" && arg ? $("#order-detail-title") : $(`#${show} h1`);
    if (heading) heading.focus({ preventScroll: false });
  }
}

export const current = (gen) => gen === state.routeGen;
