/*
 * OmniPortal WhatsApp: owner dashboard script (served as /owner/assets/app.js).
 *
 * Plain ES2020, no build step, no framework. One page with hash routing:
 *   #/accounts (default)  #/health[/<account_id>]  #/orders[/<order_id>]  #/payments  #/sandbox
 * The bearer token from POST /api/owner/login lives in sessionStorage ("omni.token"), with
 * the login's stores ("omni.stores") and the chosen store ("omni.store"). Every owner call
 * sends the bearer and ?store_id=. Any 401 clears the session and shows the login form.
 *
 * Safety: the page runs under a strict CSP (no inline script/style). Server data never goes
 * into innerHTML: every node is built with createElement/textContent (see h() and svg()),
 * and links taken from data are checked by safeUrl().
 *
 * Stable hooks the automated browser test relies on (keep them exactly):
 *   #sandbox-banner #flash #error #login-form #login-email #login-password #login-submit
 *   #login-hint #app-nav a[data-nav] #nav-sandbox #health-badge #payments-badge
 *   #store-select #logout
 *   #account-list > li.account[data-account-id]
 *     button[data-action=set-default|toggle|refresh|disconnect]  #connect-account
 *   #confirm-dialog #confirm-text #confirm-yes #confirm-no
 *   #health-account #health-summary #health-chart svg[role=img] #health-table
 *     #run-checks #check-list li.check.pass|.fail  #notification-list li.note #mark-all-read
 *   #order-filter #order-list > li.order-row[data-order-id]  #order-detail
 *     button[data-status] #rider-name #rider-phone #rider-submit #agent-toggle #order-chat
 *   #payment-list > li.payment[data-order-id] .amount img.proof
 *     button[data-action=approve|reject] input.reject-reason
 *   #customer-phone #customer-name #customer-chat .bubble.in|.out #customer-text
 *     #customer-send #sample-voice #sample-screenshot #share-location
 *     button[data-reply-id][data-reply-kind=button_reply|list_reply] button[data-share-location]
 */
"use strict";

(() => {
  // ==========================================================================================
  // Constants and wording
  // ==========================================================================================

  const KEY = { token: "omni.token", stores: "omni.stores", store: "omni.store", email: "omni.email" };
  const VIEWS = ["accounts", "health", "orders", "payments", "sandbox"];
  const ORDERS_POLL_MS = 3000;
  const PAYMENTS_POLL_MS = 3000;
  const SANDBOX_POLL_MS = 1500;
  const BADGE_POLL_MS = 20000;

  const ACCOUNT_STATUS = {
    active: "Active",
    inactive: "Inactive",
    pending: "Pending verification",
    failed: "Failed",
    reauth_required: "Reconnect needed",
  };
  const QUALITY = {
    GREEN: { text: "High (green)", color: "green", level: 3 },
    YELLOW: { text: "Medium (yellow)", color: "yellow", level: 2 },
    RED: { text: "Low (red)", color: "red", level: 1 },
    UNKNOWN: { text: "Not rated yet", color: "grey", level: 0 },
  };
  const QUALITY_COLOR_TEXT = { green: "High", yellow: "Medium", red: "Low", grey: "Not rated", gray: "Not rated" };
  // Messaging limit tiers, lowest first (rank = index).
  const TIERS = ["TIER_NOT_SET", "TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"];
  const TIER_SHORT = ["Not set", "50", "250", "1K", "2K", "10K", "100K", "Unlimited"];
  const THROUGHPUT = { STANDARD: "Standard (80 messages/s)", HIGH: "High (1,000 messages/s)", NOT_APPLICABLE: "Not registered yet" };

  const ORDER_STATUS = {
    cart: "Cart",
    placed: "Placed",
    confirmed: "Confirmed",
    preparing: "Preparing",
    out_for_delivery: "Out for delivery",
    delivered: "Delivered",
    cancelled: "Cancelled",
  };
  const PAYMENT_STATUS = {
    unpaid: "Unpaid",
    pending_verification: "Payment to check",
    paid: "Paid",
    rejected: "Payment rejected",
  };
  const NEXT_STATUS = { placed: "confirmed", confirmed: "preparing", preparing: "out_for_delivery", out_for_delivery: "delivered" };
  const STATUS_ACTION = {
    confirmed: "Confirm order",
    preparing: "Start preparing",
    out_for_delivery: "Send out for delivery",
    delivered: "Mark delivered",
    cancelled: "Cancel order",
  };
  const NOTIFIED = {
    queued: "notified",
    outside_window: "not notified: their 24-hour WhatsApp window is closed (no message from them in the last 24 hours)",
    no_number: "not notified: none of your WhatsApp numbers can send right now",
    no_recipient: "not notified: no WhatsApp number is known for them",
  };
  const RIDER_NOTIFIED = {
    outside_window: "not notified: their 24-hour WhatsApp window is closed and no rider template is set (ordering settings)",
  };

  const OAUTH_ERRORS = {
    state_invalid: "The connection link was not valid. Please start again with “Connect a WhatsApp number”.",
    state_expired: "The connection took longer than 10 minutes and expired. Please start again.",
    state_used: "That connection link was already used. Please start again with “Connect a WhatsApp number”.",
    browser_mismatch: "That connection was started in another browser (or at another address of this server), so nothing was connected. Please press “Connect a WhatsApp number” here and finish it in this browser.",
    access_denied: "Access was not allowed in Meta's window, so nothing was connected. Try again and press Continue/Allow.",
    code_exchange_failed: "Meta did not accept the sign-in. Please try connecting again.",
    token_invalid: "Meta gave an access key that is not valid for this app. Please try connecting again.",
    permissions_missing: "Some permissions were not granted. Try again and allow both WhatsApp permissions (manage and send messages).",
    no_whatsapp_assets: "No WhatsApp Business account or number was shared. Try again and select your business and your number in Meta's window.",
    asset_not_granted: "The selected WhatsApp account or number was not shared with the app. Try again and select it.",
    number_taken: "This number is already connected to another store. Disconnect it there first.",
    meta_unavailable: "Meta cannot be reached right now. Please try again in a few minutes.",
    meta_error: "Meta returned an error while connecting. Please try again; if it keeps happening, contact support.",
    meta_not_configured: "Connecting numbers is not set up on this server yet (no Meta app). Please contact support.",
    redirect_uri_not_configured: "Connecting numbers is not set up on this server yet (no return address). Please contact support.",
    internal: "Something went wrong on our side while connecting. Please try again.",
  };

  const CHECK_NAMES = {
    token_valid: "Access token is valid",
    token_scopes: "Token has both WhatsApp permissions",
    app_subscribed: "App receives this number's messages",
    number_registered: "Number is registered on WhatsApp",
    can_send: "Number can send messages",
    webhook_recent: "Meta sent news recently (webhook)",
  };
  const HISTORY_KINDS = {
    quality_update: "Quality changed",
    capability_update: "Limit changed",
    account_update: "Account update from Meta",
    account_alert: "Alert from Meta",
    refresh: "Refreshed from Meta",
    token_renewed: "Access renewed",
    token_expiring: "Access expiring",
    token_invalid: "Access no longer valid",
  };
  const SEVERITY = { critical: "Critical", warning: "Warning", info: "Info" };

  // ==========================================================================================
  // State
  // ==========================================================================================

  const state = {
    token: null,
    email: null,
    stores: [],
    storeId: null,
    sandbox: { enabled: false },
    routeGen: 0,
    view: null,
    accounts: null, // last accounts list of the current store
    paymentMethods: null, // Map id -> label
    proofs: new Map(), // order id|updated_at -> {url, type}
    detail: { id: null, sig: null, riderFor: null, data: null },
    health: { accountId: null, data: null },
    sandboxChat: { from: null },
    sandboxBusy: false,
    highlightAccount: null, // account id from a ?whatsapp=reconnect link
  };

  // ==========================================================================================
  // DOM helpers
  // ==========================================================================================

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** Builds an element. attrs: class, text, dataset, on<event> functions, other attributes. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  /** Builds an SVG element (presentation attributes only, no style). */
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.setAttribute("class", v);
      else if (k === "text") el.textContent = String(v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "style") throw new Error("inline style is not allowed by the CSP");
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }

  function appendAll(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function setLine(id, text) {
    const el = document.getElementById(id);
    if (el) {
      el.textContent = text || "";
      el.hidden = !text;
    }
  }

  /** Only http(s) links and same-origin paths may become hrefs. */
  function safeUrl(raw) {
    if (typeof raw !== "string" || !raw) return null;
    try {
      const u = new URL(raw, location.origin);
      if (u.protocol === "https:" || u.protocol === "http:") return u.href;
    } catch (_) {
      /* not a URL */
    }
    return null;
  }

  /** Small stable string hash, to tell whether a list item changed between polls. */
  function sigOf(value) {
    const s = JSON.stringify(value);
    let x = 5381;
    for (let i = 0; i < s.length; i++) x = ((x << 5) + x + s.charCodeAt(i)) | 0;
    return `${s.length}:${x}`;
  }

  const sigs = new WeakMap();
  /**
   * Keyed list update: keeps nodes whose data did not change (so focus, typed text and
   * scroll stay), replaces changed ones (carrying over named inputs), removes the gone.
   */
  function reconcile(container, items, keyOf, render) {
    const old = new Map();
    for (const el of Array.from(container.children)) {
      if (el.dataset && el.dataset.key) old.set(el.dataset.key, el);
      else el.remove();
    }
    let prev = null;
    for (const item of items) {
      const key = String(keyOf(item));
      const sig = sigOf(item);
      let el = old.get(key);
      if (!el || sigs.get(el) !== sig) {
        const fresh = render(item);
        fresh.dataset.key = key;
        sigs.set(fresh, sig);
        if (el) {
          carryOver(el, fresh);
          el.replaceWith(fresh);
        }
        el = fresh;
      }
      old.delete(key);
      const want = prev ? prev.nextSibling : container.firstChild;
      if (el !== want) container.insertBefore(el, want);
      prev = el;
    }
    for (const el of old.values()) el.remove();
  }

  function carryOver(from, to) {
    for (const input of $$("input[name], textarea[name]", from)) {
      const twin = to.querySelector(`[name="${CSS.escape(input.name)}"]`);
      if (twin && input.value) twin.value = input.value;
    }
    const active = document.activeElement;
    if (active && from.contains(active)) {
      const sel = active.dataset.action
        ? `[data-action="${CSS.escape(active.dataset.action)}"]`
        : active.name
          ? `[name="${CSS.escape(active.name)}"]`
          : null;
      const twin = sel && to.querySelector(sel);
      if (twin) queueMicrotask(() => twin.focus({ preventScroll: true }));
    }
  }

  // ---- time and numbers -------------------------------------------------------------------

  const rtf = typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;

  function relTime(iso) {
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return String(iso);
    const secs = Math.round((t - Date.now()) / 1000);
    const abs = Math.abs(secs);
    if (abs < 45) return "just now";
    const units = [
      ["minute", 60, 3600],
      ["hour", 3600, 86400],
      ["day", 86400, 86400 * 30],
      ["month", 86400 * 30, 86400 * 365],
      ["year", 86400 * 365, Infinity],
    ];
    for (const [unit, size, upto] of units) {
      if (abs < upto) {
        const n = Math.round(secs / size);
        return rtf ? rtf.format(n, unit) : `${Math.abs(n)} ${unit}${Math.abs(n) === 1 ? "" : "s"} ${n < 0 ? "ago" : "from now"}`;
      }
    }
    return fullTime(iso);
  }

  function fullTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  /** <time> with a relative text (kept fresh by a timer), the exact local time as title. */
  function timeEl(iso, opts = {}) {
    if (!iso) return h("span", { class: "muted", text: opts.never || "never" });
    return h("time", { datetime: iso, title: fullTime(iso), dataset: { rel: "1" }, text: relTime(iso) });
  }

  function absTimeEl(iso) {
    if (!iso) return h("span", { class: "muted", text: "—" });
    return h("time", { datetime: iso, text: fullTime(iso) });
  }

  const num = (n) => Number(n).toLocaleString();

  // ==========================================================================================
  // API
  // ==========================================================================================

  class ApiError extends Error {
    constructor(status, code, message, requestId) {
      super(message);
      this.status = status;
      this.code = code;
      this.requestId = requestId || null;
    }
  }

  /**
   * One call to the backend. Adds the bearer and ?store_id= (unless opts.noAuth / noStore),
   * parses JSON, throws ApiError{status, code, message}. A 401 on an authenticated call ends
   * the session. opts.blob returns {blob, type} instead of JSON.
   */
  async function api(method, path, body, opts = {}) {
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
      endSession("Your session has ended. Please log in again.");
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

  // ==========================================================================================
  // Messages: flash (role=status) and errors (role=alert)
  // ==========================================================================================

  let errorFromPoll = false;

  function flash(text, kind = "success") {
    const el = $("#flash");
    el.className = `flash flash-${kind}`;
    el.textContent = text;
  }

  function clearFlash() {
    const el = $("#flash");
    el.className = "flash";
    el.textContent = "";
  }

  /** Shows an error: a friendly sentence, the stable code and the request id for support. */
  function showError(text, code, requestId, fromPoll = false) {
    const el = clear($("#error"));
    el.className = "error-box shown";
    el.append(h("span", { class: "error-text", text }));
    if (code) el.append(" ", h("span", { class: "error-code", text: `(${code})` }));
    if (requestId) el.append(" ", h("span", { class: "error-ref", text: `Ref: ${requestId}` }));
    errorFromPoll = fromPoll;
  }

  function clearError(onlyPoll = false) {
    if (onlyPoll && !errorFromPoll) return;
    const el = clear($("#error"));
    el.className = "error-box";
  }

  /** Reports a failed call; overrides maps codes to friendlier sentences. */
  function report(err, overrides = {}, fromPoll = false) {
    if (!(err instanceof ApiError)) {
      console.error(err);
      showError("Something went wrong in this page. Please reload it.", null, null, fromPoll);
      return;
    }
    if (err.sessionEnded) return; // endSession already explained it
    showError(overrides[err.code] || err.message, err.code, err.requestId, fromPoll);
  }

  /** Runs fn with the button disabled (no double submits). */
  async function withBusy(btn, fn) {
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

  // ---- confirm dialog -----------------------------------------------------------------------

  /** Asks in #confirm-dialog; resolves true on #confirm-yes. */
  function confirmDialog(title, text, yesLabel, noLabel = "Keep it") {
    const dialog = $("#confirm-dialog");
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    $("#confirm-yes").textContent = yesLabel;
    $("#confirm-no").textContent = noLabel;
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const done = () => {
        dialog.removeEventListener("close", done);
        if (opener && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "yes");
      };
      dialog.addEventListener("close", done);
      dialog.returnValue = "";
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
      $("#confirm-no").focus();
    });
  }

  function wireDialogs() {
    const dialog = $("#confirm-dialog");
    $("#confirm-yes").addEventListener("click", () => dialog.close("yes"));
    $("#confirm-no").addEventListener("click", () => dialog.close("no"));
    const proof = $("#proof-dialog");
    $("#proof-close").addEventListener("click", () => proof.close());
    proof.addEventListener("click", (e) => {
      if (e.target === proof) proof.close(); // tap on the backdrop
    });
  }

  // ==========================================================================================
  // Session: login, logout, stores
  // ==========================================================================================

  function loadSession() {
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

  function saveSession(login) {
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

  function endSession(why) {
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

  function resetStoreCaches() {
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

  // ==========================================================================================
  // Router and polling
  // ==========================================================================================

  function parseHash() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
    return [parts[0] || "", parts[1] ? decodeURIComponent(parts[1]) : null];
  }

  const poll = { gen: 0, timer: null, running: false, fn: null, ms: 0 };

  /** Runs fn now and every ms while the same view stays; errors show and polling goes on. */
  function startPolling(fn, ms) {
    stopPolling();
    const gen = poll.gen;
    poll.fn = fn;
    poll.ms = ms;
    const tick = async () => {
      if (gen !== poll.gen || document.hidden) return;
      clearTimeout(poll.timer);
      poll.running = true;
      try {
        await fn(gen);
        if (gen === poll.gen) clearError(true);
      } catch (err) {
        if (gen === poll.gen) report(err, {}, true);
      } finally {
        poll.running = false;
      }
      if (gen === poll.gen) poll.timer = setTimeout(tick, ms);
    };
    poll.tick = tick;
    tick();
  }

  function stopPolling() {
    poll.gen++;
    clearTimeout(poll.timer);
    poll.timer = null;
    poll.tick = null;
  }

  /** Polls at once (after a send or an action), unless a poll is already on its way. */
  function pollNow() {
    if (poll.tick && !poll.running) poll.tick();
  }

  function route(focusHeading = false) {
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
      enterLogin();
      return;
    }
    const enter = { accounts: enterAccounts, health: enterHealth, orders: enterOrders, payments: enterPayments, sandbox: enterSandbox }[view];
    enter(arg, gen);
    if (focusHeading) {
      const heading = view === "orders" && arg ? $("#order-detail-title") : $(`#${show} h1`);
      if (heading) heading.focus({ preventScroll: false });
    }
  }

  const current = (gen) => gen === state.routeGen;

  // ---- nav badges -----------------------------------------------------------------------

  let badgeTimer = null;

  function setBadge(id, count, noun) {
    const badge = document.getElementById(id);
    const link = badge.closest("a");
    const label = link.querySelector("span:not(.nav-icon):not(.badge-count)").textContent;
    if (count > 0) {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = false;
      link.setAttribute("aria-label", `${label}, ${count} ${noun}`);
    } else {
      badge.textContent = "";
      badge.hidden = true;
      link.removeAttribute("aria-label");
    }
  }

  async function refreshBadges() {
    if (!state.token) return;
    const [notes, pending] = await Promise.allSettled([
      api("GET", "/api/owner/notifications?unread=true&limit=100"),
      api("GET", "/api/owner/payments/pending"),
    ]);
    if (notes.status === "fulfilled" && notes.value) setBadge("health-badge", Number(notes.value.unread) || 0, "unread alerts");
    if (pending.status === "fulfilled" && Array.isArray(pending.value)) setBadge("payments-badge", pending.value.length, "payments to check");
  }

  function startBadges() {
    stopBadges();
    refreshBadges();
    badgeTimer = setInterval(() => {
      if (!document.hidden) refreshBadges();
    }, BADGE_POLL_MS);
  }

  function stopBadges() {
    clearInterval(badgeTimer);
    badgeTimer = null;
  }

  // ==========================================================================================
  // Login view
  // ==========================================================================================

  function enterLogin() {
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

  // ==========================================================================================
  // WhatsApp accounts (#/accounts)
  // ==========================================================================================

  async function fetchAccounts() {
    const data = await api("GET", "/api/owner/whatsapp/accounts");
    state.accounts = Array.isArray(data && data.accounts) ? data.accounts : [];
    return state.accounts;
  }

  async function enterAccounts(_arg, gen) {
    const list = $("#account-list");
    if (!list.children.length) setLine("accounts-state", "Loading your numbers…");
    try {
      const accounts = await fetchAccounts();
      if (!current(gen)) return;
      renderAccounts(accounts);
    } catch (err) {
      if (!current(gen)) return;
      setLine("accounts-state", "Could not load your numbers.");
      report(err);
    }
  }

  function renderAccounts(accounts) {
    setLine(
      "accounts-state",
      accounts.length
        ? ""
        : "No WhatsApp number is connected yet. Tap “Connect a WhatsApp number” to link your business number through Meta.",
    );
    reconcile($("#account-list"), accounts, (a) => a.id, accountCard);
    const wanted = state.highlightAccount;
    if (wanted) {
      const card = $(`#account-list li[data-account-id="${CSS.escape(wanted)}"]`);
      if (card) {
        card.classList.add("highlight");
        card.scrollIntoView({ block: "center" });
      }
      state.highlightAccount = null;
    }
  }

  function accountName(a) {
    return a.display_name ? `${a.display_name} (${a.formatted_phone})` : a.formatted_phone || a.phone_number;
  }

  function qualityEl(rating, color) {
    const q = QUALITY[String(rating || "UNKNOWN").toUpperCase()] || QUALITY.UNKNOWN;
    const c = color ? (color === "gray" ? "grey" : color) : q.color;
    const text = QUALITY[String(rating || "").toUpperCase()] ? q.text : QUALITY_COLOR_TEXT[c] || String(rating);
    return h("span", { class: `quality q-${c}` }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { text }));
  }

  function limitText(limit, daily) {
    if (!limit) return "Not known yet";
    const parts = [limit];
    if (daily !== null && daily !== undefined) parts.push(`${num(daily)} customers/day`);
    else if (limit === "TIER_UNLIMITED") parts.push("no daily limit");
    return parts.join(" · ");
  }

  function statusBadge(status) {
    return h("span", { class: `badge status-${status}`, text: ACCOUNT_STATUS[status] || status });
  }

  function fact(label, ...value) {
    return [h("dt", { text: label }), h("dd", null, ...value)];
  }

  function accountCard(a) {
    const status = a.status;
    const canToggle = status === "active" || status === "inactive";
    const buttons = [];
    if (!a.is_default) {
      buttons.push(
        h("button", {
          type: "button",
          class: "btn",
          dataset: { action: "set-default" },
          disabled: status !== "active",
          title: status !== "active" ? "Only an active number can be the default" : null,
          text: "Make default",
        }),
      );
    }
    if (canToggle) {
      buttons.push(h("button", { type: "button", class: "btn", dataset: { action: "toggle" }, text: status === "active" ? "Deactivate" : "Activate" }));
    }
    buttons.push(h("button", { type: "button", class: "btn", dataset: { action: "refresh" }, text: "Refresh from Meta" }));
    buttons.push(h("button", { type: "button", class: "btn btn-danger-quiet", dataset: { action: "disconnect" }, text: "Disconnect" }));

    const notes = [];
    if (status === "reauth_required")
      notes.push("Meta no longer accepts this number's access. Tap “Connect a WhatsApp number” and select it again to reconnect.");
    if (status === "pending") notes.push("Waiting for verification: Meta has not confirmed this number yet. Try “Refresh from Meta” in a while.");
    if (status === "failed") notes.push("Connecting this number failed. Disconnect it and connect it again.");
    if (status === "inactive") notes.push("Inactive: the agent does not answer on this number.");

    return h(
      "li",
      { class: `account panel status-${status}`, dataset: { accountId: a.id } },
      h(
        "div",
        { class: "card-head" },
        h("div", null, h("h2", { class: "account-name", text: a.display_name || a.formatted_phone }), h("p", { class: "phone", text: a.formatted_phone })),
        h("div", { class: "badges" }, statusBadge(status), a.is_default ? h("span", { class: "badge badge-default", text: "Default" }) : null),
      ),
      notes.map((t) => h("p", { class: "note-line", text: t })),
      h(
        "dl",
        { class: "facts" },
        fact("Quality", qualityEl(a.quality_rating, a.quality_color)),
        fact("Messaging limit", limitText(a.messaging_limit, a.messaging_limit_daily_users)),
        fact("Throughput", THROUGHPUT[a.throughput] || a.throughput || "Not known yet"),
        fact("Last webhook", timeEl(a.last_webhook_at)),
        a.name_status ? fact("Name review", a.name_status) : null,
        a.meta_status ? fact("Meta status", a.meta_status) : null,
      ),
      h("div", { class: "button-row" }, buttons),
      h("p", { class: "health-link" }, h("a", { href: `#/health/${encodeURIComponent(a.id)}`, text: "Health and history →" })),
    );
  }

  async function onAccountAction(e) {
    const btn = e.target.closest("button[data-action]");
    if (!btn) return;
    const card = btn.closest("li.account");
    const id = card && card.dataset.accountId;
    const account = (state.accounts || []).find((a) => a.id === id);
    if (!account) return;
    const action = btn.dataset.action;
    const name = accountName(account);
    if (action === "disconnect") {
      const yes = await confirmDialog(
        "Disconnect this number?",
        `Disconnect ${name}? Customers writing to it will no longer reach your agent. You can connect it again later.`,
        "Disconnect",
      );
      if (!yes) return;
    }
    const path = { "set-default": "set-default", toggle: "toggle-status", refresh: "refresh", disconnect: "disconnect" }[action];
    if (!path) return;
    clearError();
    await withBusy(btn, async () => {
      try {
        const res = await api("POST", `/api/owner/whatsapp/accounts/${encodeURIComponent(id)}/${path}`);
        flash(accountActionText(action, name, res));
      } catch (err) {
        report(err, {
          account_not_active: `${name} is not active, so it cannot be the default.`,
          reauth_required: `Meta no longer accepts the access of ${name}. Connect it again to fix it.`,
        });
      }
    });
    await enterAccounts(null, state.routeGen);
  }

  function accountActionText(action, name, res) {
    switch (action) {
      case "set-default":
        return `${name} is now the default number.`;
      case "toggle":
        if (res && res.status === "active") return `${name} is active again.`;
        if (res && res.status === "pending") return `${name} is switched on and waits for verification.`;
        return `${name} is deactivated.`;
      case "refresh":
        return `${name} was refreshed from Meta.`;
      case "disconnect": {
        const extra = {
          shared_waba: " Other numbers of the same WhatsApp Business account stay connected.",
          failed: " Meta could not be tidied up, but the number is disconnected here.",
        }[res && res.meta_cleanup];
        return `${name} is disconnected.${extra || ""}`;
      }
      default:
        return "Done.";
    }
  }

  async function onConnect() {
    clearError();
    await withBusy($("#connect-account"), async () => {
      try {
        const res = await api("GET", "/api/owner/whatsapp/oauth-url");
        const url = safeUrl(res && res.url);
        if (!url) throw new ApiError(502, "bad_answer", "The server did not give a Meta link.");
        flash("Opening Meta… Select your business and number there.", "info");
        window.location.assign(url);
      } catch (err) {
        report(err, {
          meta_not_configured: OAUTH_ERRORS.meta_not_configured,
          redirect_uri_not_configured: OAUTH_ERRORS.redirect_uri_not_configured,
        });
      }
    });
  }

  /** After Meta's OAuth the browser comes back with ?whatsapp=...; explain it, tidy the URL. */
  function handleOAuthReturn() {
    const q = new URLSearchParams(location.search);
    const outcome = q.get("whatsapp");
    if (!outcome) return;
    if (outcome === "connected") {
      const n = Math.max(0, parseInt(q.get("accounts") || "0", 10) || 0);
      const taken = Math.max(0, parseInt(q.get("taken") || "0", 10) || 0);
      let text = `Connected ${n} number${n === 1 ? "" : "s"}.`;
      if (taken > 0) text += ` ${taken} already belong${taken === 1 ? "s" : ""} to another store and ${taken === 1 ? "was" : "were"} not moved.`;
      flash(text, n > 0 ? "success" : "warning");
    } else if (outcome === "error") {
      const code = (q.get("code") || "").replace(/[^A-Za-z0-9_]/g, "").slice(0, 64) || "unknown";
      flash(`${OAUTH_ERRORS[code] || "Connecting the number failed. Please try again."} (${code})`, "warning");
    } else if (outcome === "reconnect") {
      const store = q.get("store_id");
      if (store && state.stores.some((s) => s.id === store)) {
        state.storeId = store;
        sessionStorage.setItem(KEY.store, store);
      }
      state.highlightAccount = q.get("account_id");
      flash("To reconnect a number, tap “Connect a WhatsApp number” and select it again in Meta's window.", "info");
    }
    history.replaceState(null, "", `${location.pathname}#/accounts`);
  }

  // ==========================================================================================
  // Account health (#/health[/<account_id>])
  // ==========================================================================================

  async function enterHealth(arg, gen) {
    const select = $("#health-account");
    try {
      const accounts = state.accounts || (await fetchAccounts());
      if (!current(gen)) return;
      loadNotifications(gen); // after the accounts: alerts name their number
      clear(select);
      for (const a of accounts) select.append(h("option", { value: a.id, text: accountName(a) }));
      const has = (id) => id && accounts.some((a) => a.id === id);
      const def = accounts.find((a) => a.is_default);
      const id = has(arg) ? arg : has(state.health.accountId) ? state.health.accountId : def ? def.id : accounts[0] && accounts[0].id;
      select.disabled = !accounts.length;
      $("#run-checks").disabled = !accounts.length;
      if (!id) {
        setLine("health-state", "No WhatsApp number is connected yet. Connect one under Accounts first.");
        renderHealth(null);
        return;
      }
      select.value = id;
      await loadHealth(id, gen);
    } catch (err) {
      if (!current(gen)) return;
      report(err);
      loadNotifications(gen);
    }
  }

  function onHealthAccountChange() {
    const id = $("#health-account").value;
    history.replaceState(null, "", `${location.pathname}#/health/${encodeURIComponent(id)}`);
    loadHealth(id, state.routeGen);
  }

  async function loadHealth(id, gen) {
    if (state.health.accountId !== id) {
      clear($("#check-list"));
      $("#check-panel").hidden = true;
    }
    state.health.accountId = id;
    setLine("health-state", "Loading health…");
    try {
      const data = await api("GET", `/api/owner/whatsapp/accounts/${encodeURIComponent(id)}/health`);
      if (!current(gen) || state.health.accountId !== id) return;
      state.health.data = data;
      setLine("health-state", "");
      renderHealth(data);
    } catch (err) {
      if (!current(gen)) return;
      setLine("health-state", "Could not load this number's health.");
      report(err);
    }
  }

  function renderHealth(d) {
    const dl = clear($("#health-summary"));
    const chart = clear($("#health-chart"));
    const tbody = clear($("#health-table tbody"));
    if (!d) return;
    const slowed = d.business_sends_slowed
      ? "Yes: messages you start are slowed while quality is red (replies to customers are not)"
      : "No";
    appendAll(dl, [
      fact("Status", statusBadge(d.status)),
      fact("Quality", qualityEl(d.quality_rating)),
      fact("Messaging limit", limitText(d.messaging_limit, d.messaging_limit_daily_users)),
      fact("Throughput", THROUGHPUT[d.throughput] || d.throughput || "Not known yet"),
      fact("Can send", d.health_status || "Not known yet"),
      fact("Number status", d.number_status || "Not known yet"),
      fact("Business messages slowed", slowed),
      fact("Last webhook", timeEl(d.last_webhook_at)),
      fact("Access", d.token_type ? `${d.token_type}` : "Not checked yet", d.token_expires_at ? [" · expires ", absTimeEl(d.token_expires_at)] : d.token_type ? " · does not expire" : null),
    ]);
    const history = Array.isArray(d.history) ? d.history : [];
    drawChart(chart, history, d);
    if (!history.length) {
      tbody.append(h("tr", null, h("td", { colspan: "5", class: "muted", text: "No changes recorded yet." })));
      return;
    }
    for (const e of history) {
      const qb = snapQuality(e.before);
      const qa = snapQuality(e.after);
      const tb = snapTier(e.before);
      const ta = snapTier(e.after);
      tbody.append(
        h(
          "tr",
          null,
          h("td", null, absTimeEl(e.occurred_at || e.recorded_at)),
          h("td", { text: HISTORY_KINDS[e.kind] || String(e.kind || "") }),
          h("td", { text: change(qb, qa) }),
          h("td", { text: change(tb, ta) }),
          h("td", { text: historyDetail(e) }),
        ),
      );
    }
  }

  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  function snapQuality(s) {
    return isObj(s) && typeof s.quality_rating === "string" ? s.quality_rating.toUpperCase() : null;
  }

  function snapTier(s) {
    if (!isObj(s)) return null;
    if (typeof s.messaging_limit === "string") return s.messaging_limit;
    const m = s.messaging_limits;
    if (isObj(m)) return m.portfolio_tier || m.legacy_tier || null;
    return null;
  }

  function change(before, after) {
    if (!before && !after) return "—";
    if (!before || before === after) return after || before;
    if (!after) return before;
    return `${before} → ${after}`;
  }

  function historyDetail(e) {
    const parts = [];
    const sb = isObj(e.before) ? e.before.status : null;
    const sa = isObj(e.after) ? e.after.status : null;
    if (sb && sa && sb !== sa) parts.push(`Status ${sb} → ${sa}`);
    const nb = isObj(e.before) ? e.before.number_status : null;
    const na = isObj(e.after) ? e.after.number_status : null;
    if (na && nb !== na) parts.push(`Meta status ${nb ? `${nb} → ` : ""}${na}`);
    const d = isObj(e.detail) ? e.detail : {};
    for (const k of ["event", "reason", "message", "error", "ban_info", "expires_at"]) {
      const v = d[k];
      if (typeof v === "string" && v) parts.push(k === "expires_at" ? `Expires ${fullTime(v)}` : v.slice(0, 160));
    }
    return parts.join(" · ") || "—";
  }

  // ---- the chart ----------------------------------------------------------------------------

  const QUALITY_FILL = { GREEN: "#1a7f37", YELLOW: "#b58100", RED: "#c62828", UNKNOWN: "#6b7280" };
  const QUALITY_ROWS = ["GREEN", "YELLOW", "RED", "UNKNOWN"]; // top to bottom (3, 2, 1, 0)

  /** A step series: the value before the first change, every change, and the value now. */
  function series(history, pick, now) {
    const events = history
      .map((e) => ({ t: Date.parse(e.occurred_at || e.recorded_at), e }))
      .filter((x) => !Number.isNaN(x.t))
      .sort((a, b) => a.t - b.t);
    const pts = [];
    for (const { t, e } of events) {
      const before = pick(e.before);
      const after = pick(e.after);
      if (!pts.length && before) pts.push({ t, v: before, start: true });
      if (after && (!pts.length || pts[pts.length - 1].v !== after)) pts.push({ t, v: after });
    }
    if (pts.length && now) pts.push({ t: Date.now(), v: now, now: true });
    return pts;
  }

  function drawChart(box, history, d) {
    const quality = series(history, snapQuality, String(d.quality_rating || "").toUpperCase() || null);
    const tiers = series(history, snapTier, d.messaging_limit || null).filter((p) => TIERS.includes(p.v));
    if (!quality.length && !tiers.length) {
      box.append(h("p", { class: "muted", text: "No quality or limit changes recorded yet: the chart appears after the first one." }));
      return;
    }
    const W = Math.max(300, Math.round(box.clientWidth || 600));
    const left = 74;
    const right = 14;
    const qTop = 26;
    const qRow = 26;
    const qH = qRow * 3;
    const tTop = qTop + qH + 44;
    const tRow = 18;
    const tH = tRow * (TIERS.length - 1);
    const H = tTop + tH + 36;
    const all = quality.concat(tiers).map((p) => p.t);
    let t0 = Math.min(...all);
    let t1 = Math.max(...all, Date.now());
    if (t1 - t0 < 60000) t0 = t1 - 3600000;
    t0 -= (t1 - t0) * 0.04;
    const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
    const qy = (v) => qTop + QUALITY_ROWS.indexOf(v) * qRow;
    const ty = (v) => tTop + (TIERS.length - 1 - TIERS.indexOf(v)) * tRow;

    const label = `Chart of quality and messaging limit over time. Quality now ${d.quality_rating || "unknown"}, limit ${
      d.messaging_limit || "unknown"
    }; ${history.length} recorded change${history.length === 1 ? "" : "s"}. The table below lists them.`;
    const root = svg("svg", { role: "img", "aria-label": label, viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, class: "chart-svg" });
    root.append(svg("title", { text: label }));

    // Panel titles and grid rows.
    root.append(svg("text", { x: 0, y: 14, class: "chart-title", text: "Quality" }));
    QUALITY_ROWS.forEach((q) => {
      const y = qy(q);
      root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#e5e7eb", "stroke-width": 1 }));
      root.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end", class: "chart-label", text: q[0] + q.slice(1).toLowerCase() }));
    });
    root.append(svg("text", { x: 0, y: tTop - 14, class: "chart-title", text: "Messaging limit (customers/day)" }));
    TIERS.forEach((t, i) => {
      if (i === 0) return; // "not set" is drawn on the lowest row only if it occurs
      const y = ty(t);
      root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#eef0f3", "stroke-width": 1 }));
      root.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end", class: "chart-label", text: TIER_SHORT[i] }));
    });

    const stepPath = (pts, yOf) =>
      pts.map((p, i) => (i === 0 ? `M ${x(p.start ? t0 : p.t).toFixed(1)} ${yOf(p.v)}` : `H ${x(p.t).toFixed(1)} V ${yOf(p.v)}`)).join(" ");

    if (quality.length) {
      root.append(svg("path", { d: stepPath(quality, qy), fill: "none", stroke: "#374151", "stroke-width": 2 }));
      for (const p of quality) {
        const c = svg("circle", { cx: x(p.start ? t0 : p.t).toFixed(1), cy: qy(p.v), r: 6, fill: QUALITY_FILL[p.v] || QUALITY_FILL.UNKNOWN, stroke: "#fff", "stroke-width": 2 });
        c.append(svg("title", { text: `${p.now ? "Now" : p.start ? "Before" : fullTime(new Date(p.t).toISOString())}: ${p.v}` }));
        root.append(c);
      }
    }
    if (tiers.length) {
      const tyd = (v) => (v === "TIER_NOT_SET" ? ty("TIER_50") + tRow * 0.5 : ty(v));
      root.append(svg("path", { d: stepPath(tiers, tyd), fill: "none", stroke: "#1d4ed8", "stroke-width": 2 }));
      for (const p of tiers) {
        const c = svg("rect", { x: (x(p.start ? t0 : p.t) - 5).toFixed(1), y: tyd(p.v) - 5, width: 10, height: 10, fill: "#1d4ed8", stroke: "#fff", "stroke-width": 2 });
        c.append(svg("title", { text: `${p.now ? "Now" : p.start ? "Before" : fullTime(new Date(p.t).toISOString())}: ${p.v}` }));
        root.append(c);
      }
    }

    // Time axis.
    const axisY = tTop + tH + 14;
    root.append(svg("line", { x1: left, x2: W - right, y1: axisY - 6, y2: axisY - 6, stroke: "#9ca3af", "stroke-width": 1 }));
    const longSpan = t1 - t0 > 2 * 86400000;
    const fmt = (t) => new Date(t).toLocaleString(undefined, longSpan ? { day: "numeric", month: "short" } : { hour: "2-digit", minute: "2-digit" });
    const ticks = W < 420 ? 3 : 5;
    for (let i = 0; i < ticks; i++) {
      const t = t0 + ((t1 - t0) * i) / (ticks - 1);
      const anchor = i === 0 ? "start" : i === ticks - 1 ? "end" : "middle";
      root.append(svg("text", { x: x(t).toFixed(1), y: axisY + 12, "text-anchor": anchor, class: "chart-label", text: i === ticks - 1 ? "now" : fmt(t) }));
    }
    box.append(root);
  }

  // ---- diagnose -----------------------------------------------------------------------------

  async function onRunChecks() {
    const id = $("#health-account").value;
    if (!id) return;
    const list = clear($("#check-list"));
    $("#check-panel").hidden = false;
    list.append(h("li", { class: "muted", text: "Asking Meta…" }));
    clearError();
    await withBusy($("#run-checks"), async () => {
      try {
        const checks = await api("POST", `/api/owner/whatsapp/accounts/${encodeURIComponent(id)}/diagnose`);
        clear(list);
        const arr = Array.isArray(checks) ? checks : [];
        if (!arr.length) list.append(h("li", { class: "muted", text: "No checks came back." }));
        for (const c of arr) {
          list.append(
            h(
              "li",
              { class: `check ${c.pass ? "pass" : "fail"}`, dataset: { check: c.check } },
              h("span", { class: "check-icon", "aria-hidden": "true", text: c.pass ? "✓" : "✗" }),
              h(
                "div",
                null,
                h("strong", { text: `${CHECK_NAMES[c.check] || c.check}: ${c.pass ? "passed" : "failed"}` }),
                c.detail ? h("p", { class: "check-detail", text: c.detail }) : null,
                !c.pass && c.fix ? h("p", { class: "check-fix" }, h("strong", { text: "How to fix: " }), c.fix) : null,
              ),
            ),
          );
        }
        const failed = arr.filter((c) => !c.pass).length;
        flash(failed ? `${failed} check${failed === 1 ? "" : "s"} failed: see how to fix ${failed === 1 ? "it" : "them"} below.` : "All checks passed.", failed ? "warning" : "success");
      } catch (err) {
        clear(list).append(h("li", { class: "check fail" }, h("span", { class: "check-icon", "aria-hidden": "true", text: "✗" }), h("div", { text: err.message || "The checks could not run." })));
        report(err);
      }
    });
  }

  // ---- notifications ------------------------------------------------------------------------

  async function loadNotifications(gen) {
    const list = $("#notification-list");
    if (!list.children.length) setLine("notifications-state", "Loading alerts…");
    try {
      const data = await api("GET", "/api/owner/notifications?limit=50");
      if (!current(gen)) return;
      const notes = Array.isArray(data && data.notifications) ? data.notifications : [];
      setBadge("health-badge", Number(data.unread) || 0, "unread alerts");
      setLine("notifications-state", notes.length ? "" : "No alerts. You will see here when a number's quality or limit drops.");
      $("#mark-all-read").disabled = !notes.some((n) => !n.read_at);
      reconcile(list, notes, (n) => n.id, noteItem);
    } catch (err) {
      if (!current(gen)) return;
      setLine("notifications-state", "Could not load alerts.");
      report(err);
    }
  }

  function noteItem(n) {
    const account = (state.accounts || []).find((a) => a.id === n.account_id);
    const link = isObj(n.detail) ? safeUrl(n.detail.reconnect_url) : null;
    const sev = SEVERITY[n.severity] ? n.severity : "info";
    return h(
      "li",
      { class: `note sev-${sev}${n.read_at ? "" : " unread"}`, dataset: { notificationId: n.id } },
      h(
        "div",
        { class: "note-head" },
        h("span", { class: `badge sev-badge sev-${sev}`, text: SEVERITY[sev] }),
        n.read_at ? null : h("span", { class: "badge badge-new", text: "New" }),
        timeEl(n.created_at),
      ),
      h("p", { class: "note-title", text: n.title }),
      n.body && n.body !== n.title ? h("p", { class: "note-body", text: n.body }) : null,
      account ? h("p", { class: "muted", text: `Number: ${accountName(account)}` }) : null,
      link ? h("p", null, h("a", { href: link, class: "btn btn-quiet", text: "Reconnect this number" })) : null,
    );
  }

  async function onMarkAllRead() {
    clearError();
    await withBusy($("#mark-all-read"), async () => {
      try {
        const res = await api("POST", "/api/owner/notifications/read", {});
        const n = (res && Number(res.marked)) || 0;
        flash(n ? `Marked ${n} alert${n === 1 ? "" : "s"} as read.` : "No unread alerts.", "info");
      } catch (err) {
        report(err);
      }
    });
    await loadNotifications(state.routeGen);
  }

  // ==========================================================================================
  // Orders (#/orders and #/orders/<id>)
  // ==========================================================================================

  function orderStatusBadge(s) {
    return h("span", { class: `badge order-${s}`, text: ORDER_STATUS[s] || s });
  }

  function paymentBadge(s) {
    return h("span", { class: `badge pay-${s}`, text: PAYMENT_STATUS[s] || s });
  }

  async function ensurePaymentMethods() {
    if (state.paymentMethods) return state.paymentMethods;
    const map = new Map();
    try {
      const methods = await api("GET", "/api/owner/payment-methods");
      for (const m of Array.isArray(methods) ? methods : []) map.set(m.id, m.label || m.kind);
    } catch (err) {
      if (err instanceof ApiError && err.sessionEnded) throw err;
    }
    state.paymentMethods = map;
    return map;
  }

  function methodLabel(id) {
    if (!id) return "Not chosen yet";
    return (state.paymentMethods && state.paymentMethods.get(id)) || "Payment method";
  }

  // ---- customers: list items carry customer_name and customer_phone ----------------------

  function customerEl(order) {
    return h("span", { class: "customer" }, customerText({ name: order.customer_name, phone: order.customer_phone }));
  }

  function customerText(c) {
    return [c.name, c.phone].filter(Boolean).join(" · ") || "Customer";
  }

  // ---- list ---------------------------------------------------------------------------------

  function enterOrders(arg) {
    const detail = !!arg;
    $("#order-list-panel").hidden = detail;
    $("#order-detail").hidden = !detail;
    ensurePaymentMethods().catch(() => {});
    if (detail) {
      if (state.detail.id !== arg) {
        state.detail = { id: arg, sig: null, riderFor: null, data: null };
        $("#order-detail-body").hidden = true;
        $("#order-detail-title").textContent = "Order";
        setLine("order-detail-state", "Loading the order…");
        clear($("#order-chat"));
      }
      startPolling((pgen) => loadOrderDetail(arg, pgen), ORDERS_POLL_MS);
    } else {
      if (!$("#order-list").children.length) setLine("orders-state", "Loading orders…");
      startPolling(loadOrders, ORDERS_POLL_MS);
    }
  }

  async function loadOrders(pgen) {
    const filter = $("#order-filter").value;
    const statuses = filter || "placed,confirmed,preparing,out_for_delivery,delivered,cancelled";
    const orders = await api("GET", `/api/owner/orders?limit=50&status=${encodeURIComponent(statuses)}`);
    if (pgen !== poll.gen || $("#order-filter").value !== filter) return;
    const list = Array.isArray(orders) ? orders : [];
    setLine("orders-state", list.length ? "" : filter ? `No ${ORDER_STATUS[filter].toLowerCase()} orders.` : "No orders yet. They appear here as soon as a customer orders on WhatsApp.");
    reconcile($("#order-list"), list, (o) => o.id, orderRow);
  }

  function orderRow(o) {
    return h(
      "li",
      { class: `order-row order-${o.status}`, dataset: { orderId: o.id } },
      h(
        "a",
        { href: `#/orders/${encodeURIComponent(o.id)}`, class: "row-link" },
        h("span", { class: "row-main" }, h("strong", { class: "ref", text: o.reference }), customerEl(o)),
        h("span", { class: "row-total", text: o.total ? o.total.display : "" }),
        h("span", { class: "badges" }, orderStatusBadge(o.status), paymentBadge(o.payment_status)),
        h("span", { class: "row-time" }, timeEl(o.created_at)),
      ),
    );
  }

  function onOrderFilter() {
    clear($("#order-list"));
    setLine("orders-state", "Loading orders…");
    pollNow();
  }

  // ---- detail -------------------------------------------------------------------------------

  async function loadOrderDetail(id, pgen) {
    let d;
    try {
      d = await api("GET", `/api/owner/orders/${encodeURIComponent(id)}`);
    } catch (err) {
      if (pgen === poll.gen && err instanceof ApiError && err.status === 404) {
        setLine("order-detail-state", "This order does not exist in this store.");
        $("#order-detail-body").hidden = true;
      }
      throw err;
    }
    if (pgen !== poll.gen || state.detail.id !== id) return;
    const sig = sigOf(d);
    if (sig === state.detail.sig) return; // nothing changed: keep focus and scroll
    state.detail.sig = sig;
    state.detail.data = d;
    renderOrderDetail(d);
  }

  function renderOrderDetail(d) {
    const o = d.order;
    setLine("order-detail-state", "");
    $("#order-detail-body").hidden = false;
    $("#order-detail-title").textContent = `Order ${o.reference}`;

    // Summary: lines, totals, customer, delivery, payment.
    const sum = clear($("#order-summary"));
    appendAll(sum, [
      h("div", { class: "badges" }, orderStatusBadge(o.status), paymentBadge(o.payment_status), h("span", { class: "muted" }, "Placed ", timeEl(o.created_at))),
      h("h2", { text: "Items" }),
      h(
        "ul",
        { class: "lines" },
        (o.items || []).map((l) =>
          h(
            "li",
            null,
            h("span", null, `${l.quantity} × ${l.name}`, l.variant ? h("span", { class: "muted", text: ` (${l.variant})` }) : null),
            h("span", { class: "money", text: l.line_total ? l.line_total.display : "" }),
          ),
        ),
      ),
      h(
        "dl",
        { class: "totals" },
        fact("Subtotal", h("span", { class: "money", text: o.subtotal.display })),
        fact("Delivery", h("span", { class: "money", text: o.delivery_fee.display })),
        fact("Total", h("strong", { class: "money total", text: o.total.display })),
      ),
      h("h2", { text: "Customer" }),
      h(
        "p",
        null,
        d.customer_name || "Name not shared",
        d.customer_phone ? [" · ", h("a", { href: `tel:${d.customer_phone.replace(/[^+\d]/g, "")}`, text: d.customer_phone })] : null,
      ),
      h("h2", { text: "Delivery" }),
      o.delivery_address ? h("p", { class: "prewrap", text: o.delivery_address }) : null,
      locationEl(o.delivery_location),
      !o.delivery_address && !o.delivery_location ? h("p", { class: "muted", text: "No address yet." }) : null,
      h("h2", { text: "Payment" }),
      h("p", null, methodLabel(o.payment_method_id), " · ", paymentBadge(o.payment_status)),
      o.payment_rejection_reason ? h("p", { class: "muted", text: `Last screenshot rejected: ${o.payment_rejection_reason}` }) : null,
      o.has_payment_proof ? h("p", null, h("button", { type: "button", class: "btn btn-quiet", dataset: { proofFor: o.id }, text: "View payment screenshot" })) : null,
    ]);

    // Status buttons: the next state of the lifecycle, and cancel.
    const actions = clear($("#order-actions"));
    const next = NEXT_STATUS[o.status];
    if (next) actions.append(h("button", { type: "button", class: "btn btn-primary", dataset: { status: next }, text: STATUS_ACTION[next] }));
    if (["cart", "placed", "confirmed", "preparing"].includes(o.status))
      actions.append(h("button", { type: "button", class: "btn btn-danger-quiet", dataset: { status: "cancelled" }, text: STATUS_ACTION.cancelled }));
    if (!actions.children.length) actions.append(h("p", { class: "muted", text: `This order is ${(ORDER_STATUS[o.status] || o.status).toLowerCase()}: nothing more to do.` }));

    // Rider: show the current one; prefill the form once per order.
    $("#order-rider-current").textContent = o.rider ? `Assigned: ${o.rider.name} · ${o.rider.phone}` : "No rider assigned yet.";
    if (state.detail.riderFor !== o.id) {
      state.detail.riderFor = o.id;
      $("#rider-name").value = o.rider ? o.rider.name : "";
      $("#rider-phone").value = o.rider ? o.rider.phone : "";
    }
    $("#rider-submit").textContent = o.rider ? "Change rider" : "Assign rider";

    // Agent pause/resume for this conversation.
    const toggle = $("#agent-toggle");
    toggle.hidden = !o.conversation_id;
    toggle.textContent = d.agent_paused ? "Resume the agent" : "Pause the agent";
    toggle.dataset.paused = d.agent_paused ? "1" : "0";
    $("#agent-state").textContent = !o.conversation_id
      ? ""
      : d.agent_paused
        ? "The agent is paused: answer this customer yourself on WhatsApp."
        : "The agent answers this customer.";

    renderChat($("#order-chat"), d.messages || []);
  }

  function locationEl(pin) {
    if (!isObj(pin)) return null;
    const url = safeUrl(pin.maps_url) || safeUrl(`https://www.google.com/maps?q=${Number(pin.latitude)},${Number(pin.longitude)}`);
    const text = [pin.name, pin.address].filter(Boolean).join(", ") || "Location pin";
    return h("p", null, h("span", { "aria-hidden": "true", text: "📍 " }), text, " · ", h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "Open in Google Maps" }));
  }

  const KIND_LABEL = { image: "🖼 Image", audio: "🎤 Voice note", video: "🎬 Video", document: "📄 Document", location: "📍 Location", sticker: "Sticker", interactive: "Menu reply" };

  /** Order conversation: inbound on the left, the store's messages on the right. */
  function renderChat(box, messages) {
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || !box.children.length;
    if (!messages.length) {
      clear(box).append(h("p", { class: "muted chat-empty", text: "No messages in this conversation yet." }));
      return;
    }
    reconcile(box, messages, (m) => m.id, (m) => {
      const inbound = m.direction === "inbound";
      return h(
        "div",
        { class: `bubble ${inbound ? "in" : "out"}` },
        m.kind && m.kind !== "text" ? h("p", { class: "media-label", text: KIND_LABEL[m.kind] || m.kind }) : null,
        m.text ? h("p", { class: "text", text: m.text }) : null,
        h("p", { class: "meta" }, h("span", { class: "visually-hidden", text: inbound ? "Customer, " : "Store, " }), timeEl(m.created_at), !inbound && m.status ? ` · ${m.status}` : null),
      );
    });
    if (nearBottom) box.scrollTop = box.scrollHeight;
  }

  async function onStatusClick(e) {
    const btn = e.target.closest("button[data-status]");
    if (!btn || !state.detail.data) return;
    const o = state.detail.data.order;
    const to = btn.dataset.status;
    if (to === "cancelled") {
      const yes = await confirmDialog("Cancel this order?", `Cancel order ${o.reference}? The customer is told on WhatsApp.`, "Cancel order", "Keep order");
      if (!yes) return;
    }
    clearError();
    await withBusy(btn, async () => {
      try {
        const res = await api("POST", `/api/owner/orders/${encodeURIComponent(o.id)}/status`, { status: to });
        const shown = ORDER_STATUS[res.order ? res.order.status : to] || to;
        flash(`Order ${o.reference} is now ${shown.toLowerCase()}. ${notifiedText("Customer", res.customer_notified)}`);
      } catch (err) {
        report(err);
      }
    });
    state.detail.sig = null;
    pollNow();
  }

  function notifiedText(who, value, wording = {}) {
    if (!value) return "";
    return `${who} ${wording[value] || NOTIFIED[value] || `notification: ${value}`}.`;
  }

  async function onRiderSubmit(e) {
    e.preventDefault();
    const o = state.detail.data && state.detail.data.order;
    if (!o) return;
    const name = $("#rider-name").value.trim();
    const phone = $("#rider-phone").value.trim();
    if (!name || !phone) {
      showError("Enter the rider's name and WhatsApp number.");
      (name ? $("#rider-phone") : $("#rider-name")).focus();
      return;
    }
    clearError();
    await withBusy($("#rider-submit"), async () => {
      try {
        const res = await api("POST", `/api/owner/orders/${encodeURIComponent(o.id)}/rider`, { name, phone });
        flash(
          `${name} is the rider of ${o.reference}. ${notifiedText("Customer", res.customer_notified)} ${notifiedText("Rider", res.rider_notified, RIDER_NOTIFIED)}`.trim(),
        );
        state.detail.riderFor = null;
      } catch (err) {
        report(err, { invalid_phone: "That rider number does not look right. Use a Pakistani mobile number, e.g. 0300 1234567." });
      }
    });
    state.detail.sig = null;
    pollNow();
  }

  async function onAgentToggle() {
    const d = state.detail.data;
    if (!d || !d.order.conversation_id) return;
    const resume = $("#agent-toggle").dataset.paused === "1";
    clearError();
    await withBusy($("#agent-toggle"), async () => {
      try {
        const c = await api("POST", `/api/owner/conversations/${encodeURIComponent(d.order.conversation_id)}/${resume ? "resume" : "pause"}`);
        flash(c && c.agent_paused ? "The agent is paused in this chat: you answer the customer yourself." : "The agent answers this customer again.", "info");
      } catch (err) {
        report(err);
      }
    });
    state.detail.sig = null;
    pollNow();
  }

  // ==========================================================================================
  // Payment verification (#/payments)
  // ==========================================================================================

  function enterPayments() {
    if (!$("#payment-list").children.length) setLine("payments-state", "Loading payments to check…");
    ensurePaymentMethods().catch(() => {});
    startPolling(loadPayments, PAYMENTS_POLL_MS);
  }

  async function loadPayments(pgen) {
    const orders = await api("GET", "/api/owner/payments/pending");
    if (pgen !== poll.gen) return;
    const list = Array.isArray(orders) ? orders : [];
    await ensurePaymentMethods();
    if (pgen !== poll.gen) return;
    setBadge("payments-badge", list.length, "payments to check");
    setLine("payments-state", list.length ? `${list.length} payment${list.length === 1 ? "" : "s"} to check, oldest first.` : "Nothing to check. New payment screenshots appear here.");
    reconcile($("#payment-list"), list, (o) => o.id, paymentCard);
    // Drop blob URLs of orders no longer waiting.
    const keep = new Set(list.map(proofKey));
    for (const [k, p] of state.proofs) {
      if (!keep.has(k)) {
        if (p.url) URL.revokeObjectURL(p.url);
        state.proofs.delete(k);
      }
    }
  }

  const proofKey = (o) => `${o.id}|${o.updated_at}`;

  function paymentCard(o) {
    const box = h("div", { class: "proof-box" }, h("p", { class: "muted", text: "Loading the screenshot…" }));
    showProof(o, box);
    return h(
      "li",
      { class: "payment panel", dataset: { orderId: o.id } },
      h(
        "div",
        { class: "card-head" },
        h("div", null, h("h2", null, h("a", { href: `#/orders/${encodeURIComponent(o.id)}`, text: `Order ${o.reference}` })), h("p", null, customerEl(o))),
        h("span", { class: "muted" }, timeEl(o.updated_at)),
      ),
      h("p", { class: "due" }, h("span", { class: "due-label", text: "Amount due" }), h("span", { class: "amount", text: o.total.display })),
      h("p", null, "Paid with: ", h("strong", { text: methodLabel(o.payment_method_id) })),
      o.possible_proof_reuse_of
        ? h(
            "p",
            { class: "warning" },
            h("span", { "aria-hidden": "true", text: "⚠ " }),
            "Possible reused screenshot: the same image was already sent for ",
            h("a", { href: `#/orders/${encodeURIComponent(o.possible_proof_reuse_of)}`, text: "another order" }),
            ". Check it carefully before approving.",
          )
        : null,
      box,
      h(
        "div",
        { class: "pay-actions" },
        h("button", { type: "button", class: "btn btn-primary", dataset: { action: "approve" }, text: "Approve" }),
        h(
          "div",
          { class: "reject-row" },
          h("input", { type: "text", class: "reject-reason", name: "reason", "aria-label": "Reason", placeholder: "Reason, e.g. amount does not match", maxlength: "300", autocomplete: "off" }),
          h("button", { type: "button", class: "btn btn-danger-quiet", dataset: { action: "reject" }, text: "Reject" }),
        ),
      ),
    );
  }

  /** Fetches the proof with the bearer (an <img src> cannot send it) and shows it as a blob. */
  async function showProof(o, box) {
    if (!o.has_payment_proof) {
      clear(box).append(h("p", { class: "muted", text: "No screenshot stored." }));
      return;
    }
    const key = proofKey(o);
    let p = state.proofs.get(key);
    if (!p) {
      p = { url: null, type: "", promise: null };
      state.proofs.set(key, p);
      p.promise = api("GET", `/api/owner/orders/${encodeURIComponent(o.id)}/payment-proof`, undefined, { blob: true }).then((r) => {
        p.url = URL.createObjectURL(r.blob);
        p.type = r.type;
      });
    }
    try {
      await p.promise;
    } catch (err) {
      state.proofs.delete(key);
      clear(box).append(h("p", { class: "muted", text: `The screenshot could not be loaded (${err.message || "error"}).` }));
      return;
    }
    if (!state.proofs.has(key)) return;
    const alt = `Payment screenshot for order ${o.reference}`;
    clear(box);
    if (p.type.startsWith("image/") || !p.type) {
      const img = h("img", { class: "proof", src: p.url, alt });
      box.append(h("button", { type: "button", class: "proof-button", "aria-label": `${alt}: open full size`, dataset: { proofUrl: p.url, proofAlt: alt } }, img));
    } else {
      box.append(h("a", { href: p.url, target: "_blank", rel: "noopener", class: "btn", text: `Open the payment proof (${p.type})` }));
    }
  }

  function openProof(url, alt) {
    const dialog = $("#proof-dialog");
    const img = $("#proof-full");
    img.src = url;
    img.alt = alt;
    $("#proof-open").href = url;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    $("#proof-close").focus();
  }

  async function onProofFor(btn) {
    const d = state.detail.data;
    if (!d) return;
    await withBusy(btn, async () => {
      try {
        const r = await api("GET", `/api/owner/orders/${encodeURIComponent(d.order.id)}/payment-proof`, undefined, { blob: true });
        const url = URL.createObjectURL(r.blob);
        openProof(url, `Payment screenshot for order ${d.order.reference}`);
        $("#proof-dialog").addEventListener("close", () => URL.revokeObjectURL(url), { once: true });
      } catch (err) {
        report(err);
      }
    });
  }

  async function onPaymentAction(e) {
    const proofBtn = e.target.closest("button.proof-button");
    if (proofBtn) {
      openProof(proofBtn.dataset.proofUrl, proofBtn.dataset.proofAlt);
      return;
    }
    const btn = e.target.closest("button[data-action]");
    if (!btn) return;
    const card = btn.closest("li.payment");
    const id = card.dataset.orderId;
    const ref = (card.querySelector("h2") || card).textContent.replace(/^Order /, "");
    clearError();
    if (btn.dataset.action === "reject") {
      const input = card.querySelector("input.reject-reason");
      const reason = input.value.trim();
      if (!reason) {
        showError("Give a reason", "invalid_reason");
        input.focus();
        return;
      }
      await withBusy(btn, async () => {
        try {
          const res = await api("POST", `/api/owner/orders/${encodeURIComponent(id)}/payment/reject`, { reason });
          flash(`Payment for ${ref} rejected; the customer is asked for a new screenshot. ${notifiedText("Customer", res && res.customer_notified)}`.trim());
          input.value = "";
        } catch (err) {
          report(err, { invalid_reason: "Give a reason", not_pending: "This payment was already handled." });
        }
      });
    } else if (btn.dataset.action === "approve") {
      await withBusy(btn, async () => {
        try {
          const res = await api("POST", `/api/owner/orders/${encodeURIComponent(id)}/payment/approve`);
          const confirmed = res && res.order && res.order.status === "confirmed" ? " The order is confirmed." : "";
          flash(`Payment for ${ref} approved.${confirmed} ${notifiedText("Customer", res && res.customer_notified)}`.trim());
        } catch (err) {
          report(err, { not_pending: "This payment was already handled." });
        }
      });
    }
    refreshBadges();
    pollNow();
  }

  // ==========================================================================================
  // Sandbox customer panel (#/sandbox)
  // ==========================================================================================

  async function loadSandboxConfig() {
    try {
      const res = await fetch("/api/sandbox", { headers: { Accept: "application/json" }, cache: "no-store" });
      const data = res.ok ? await res.json() : null;
      state.sandbox = data && data.enabled === true ? data : { enabled: false };
    } catch (_) {
      state.sandbox = { enabled: false };
    }
    $("#sandbox-banner").hidden = !state.sandbox.enabled;
    document.body.classList.toggle("sandbox", state.sandbox.enabled);
    const samples = Array.isArray(state.sandbox.samples) ? state.sandbox.samples : [];
    const label = (id) => (samples.find((s) => s && s.id === id) || {}).label;
    if (label("voice_note")) $("#sample-voice").title = label("voice_note");
    if (label("payment_screenshot")) $("#sample-screenshot").title = label("payment_screenshot");
  }

  function enterSandbox() {
    const cust = isObj(state.sandbox.customer) ? state.sandbox.customer : {};
    if (!$("#customer-phone").value) $("#customer-phone").value = cust.phone || "+923001234567";
    if (!$("#customer-name").value) $("#customer-name").value = cust.name || "";
    startPolling(loadCustomerChat, SANDBOX_POLL_MS);
  }

  async function loadCustomerChat(pgen) {
    const from = $("#customer-phone").value.trim();
    const box = $("#customer-chat");
    if (!from) {
      clear(box);
      setLine("sandbox-state", "Enter the customer's phone number.");
      return;
    }
    if (state.sandboxChat.from !== from) {
      state.sandboxChat.from = from;
      clear(box);
    }
    const data = await api("GET", `/api/sandbox/customer/conversation?from=${encodeURIComponent(from)}`);
    if (pgen !== poll.gen || state.sandboxChat.from !== from) return;
    const messages = Array.isArray(data && data.messages) ? data.messages : [];
    setLine(
      "sandbox-state",
      data && data.phone_number_id === null
        ? "No WhatsApp number is connected in this store yet: connect one under Accounts first."
        : messages.length
          ? ""
          : "No messages yet. Say hello, for example “Menu please”.",
    );
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || !box.children.length;
    const before = box.children.length;
    reconcile(box, messages, (m, i) => m.wamid || `${m.at}|${i}`, sandboxBubble);
    if (nearBottom || box.children.length > before) box.scrollTop = box.scrollHeight;
    setSandboxBusy(state.sandboxBusy);
  }

  function sandboxBubble(m) {
    const inbound = m.direction === "inbound"; // the customer's message
    const media = isObj(m.media) ? m.media : null;
    let mediaLabel = null;
    if (media) {
      const icon = { audio: "🎤", image: "🖼", video: "🎬", document: "📄" }[media.kind] || "📎";
      const fallback = { audio: "Voice note", image: inbound ? "Payment screenshot" : "Image" }[media.kind] || String(media.kind || "Attachment");
      mediaLabel = `${icon} ${typeof media.caption === "string" && media.caption ? media.caption : fallback}`;
    } else if (!m.text && m.type === "location") mediaLabel = "📍 Location";
    const buttons = Array.isArray(m.buttons) ? m.buttons : [];
    const list = isObj(m.list) ? m.list : null;
    return h(
      "div",
      { class: `bubble ${inbound ? "in" : "out"}`, dataset: { wamid: m.wamid || "" } },
      mediaLabel ? h("p", { class: "media-label", text: mediaLabel }) : null,
      m.text ? h("p", { class: "text", text: m.text }) : null,
      buttons.length
        ? h(
            "div",
            { class: "reply-buttons" },
            buttons.map((b) => h("button", { type: "button", class: "btn reply", dataset: { replyId: b.id, replyKind: "button_reply", replyTitle: b.title }, text: b.title })),
          )
        : null,
      list
        ? h(
            "div",
            { class: "reply-list" },
            list.button ? h("p", { class: "list-button", text: `☰ ${list.button}` }) : null,
            (Array.isArray(list.sections) ? list.sections : []).map((s) =>
              h(
                "div",
                { class: "list-section" },
                s.title ? h("p", { class: "section-title", text: s.title }) : null,
                h(
                  "ul",
                  null,
                  (Array.isArray(s.rows) ? s.rows : []).map((r) =>
                    h(
                      "li",
                      null,
                      h("button", { type: "button", class: "btn reply", dataset: { replyId: r.id, replyKind: "list_reply", replyTitle: r.title }, text: r.title }),
                      r.description ? h("span", { class: "row-desc", text: r.description }) : null,
                    ),
                  ),
                ),
              ),
            ),
          )
        : null,
      m.location_request ? h("button", { type: "button", class: "btn reply", dataset: { shareLocation: "" }, text: "📍 Share location" }) : null,
      h("p", { class: "meta" }, h("span", { class: "visually-hidden", text: inbound ? "You, " : "Store, " }), m.at ? timeEl(m.at) : null),
    );
  }

  function setSandboxBusy(busy) {
    state.sandboxBusy = busy;
    for (const el of [$("#customer-send"), $("#sample-voice"), $("#sample-screenshot"), $("#share-location"), ...$$("#customer-chat button")]) {
      el.disabled = busy;
    }
  }

  const SAMPLE_LOCATION = { type: "location", latitude: 31.5204, longitude: 74.3587, name: "Home", address: "House 12, Street 5, Gulberg III, Lahore" };

  /** Sends one customer message through the sandbox (the real webhook, signed like Meta). */
  async function sendAsCustomer(payload) {
    const from = $("#customer-phone").value.trim();
    if (!from) {
      showError("Enter the customer's phone number first.");
      $("#customer-phone").focus();
      return false;
    }
    if (state.sandboxBusy) return false;
    const name = $("#customer-name").value.trim();
    clearError();
    setSandboxBusy(true);
    try {
      await api("POST", "/api/sandbox/customer", { from, name, ...payload });
      return true;
    } catch (err) {
      report(err, { no_account: "Connect a WhatsApp number first (Accounts → Connect)" });
      return false;
    } finally {
      setSandboxBusy(false);
      pollNow();
    }
  }

  async function onCustomerSend(e) {
    e.preventDefault();
    const input = $("#customer-text");
    const body = input.value.trim();
    if (!body) {
      input.focus();
      return;
    }
    if (await sendAsCustomer({ type: "text", body })) input.value = "";
    input.focus();
  }

  function onCustomerChatClick(e) {
    const reply = e.target.closest("button[data-reply-id]");
    if (reply) {
      sendAsCustomer({ type: reply.dataset.replyKind, id: reply.dataset.replyId, title: reply.dataset.replyTitle || reply.textContent });
      return;
    }
    if (e.target.closest("button[data-share-location]")) sendAsCustomer(SAMPLE_LOCATION);
  }

  function onCustomerPhoneChange() {
    state.sandboxChat.from = null;
    clear($("#customer-chat"));
    pollNow();
  }

  // ==========================================================================================
  // Boot
  // ==========================================================================================

  function wire() {
    $("#login-form").addEventListener("submit", onLogin);
    $("#logout").addEventListener("click", onLogout);
    $("#store-select").addEventListener("change", onStoreChange);
    $("#skip-link").addEventListener("click", (e) => {
      e.preventDefault();
      $("#main").focus();
    });
    wireDialogs();

    $("#account-list").addEventListener("click", onAccountAction);
    $("#connect-account").addEventListener("click", onConnect);

    $("#health-account").addEventListener("change", onHealthAccountChange);
    $("#run-checks").addEventListener("click", onRunChecks);
    $("#mark-all-read").addEventListener("click", onMarkAllRead);

    $("#order-filter").addEventListener("change", onOrderFilter);
    $("#order-actions").addEventListener("click", onStatusClick);
    $("#rider-form").addEventListener("submit", onRiderSubmit);
    $("#agent-toggle").addEventListener("click", onAgentToggle);
    $("#order-summary").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-proof-for]");
      if (btn) onProofFor(btn);
    });

    $("#payment-list").addEventListener("click", onPaymentAction);
    $("#payment-list").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.matches("input.reject-reason")) {
        e.preventDefault();
        const btn = e.target.closest("li.payment").querySelector('button[data-action="reject"]');
        if (btn) btn.click();
      }
    });

    $("#customer-form").addEventListener("submit", onCustomerSend);
    $("#customer-chat").addEventListener("click", onCustomerChatClick);
    $("#customer-phone").addEventListener("change", onCustomerPhoneChange);
    $("#sample-voice").addEventListener("click", () => sendAsCustomer({ type: "voice_note" }));
    $("#sample-screenshot").addEventListener("click", () => sendAsCustomer({ type: "payment_screenshot" }));
    $("#share-location").addEventListener("click", () => sendAsCustomer(SAMPLE_LOCATION));

    window.addEventListener("hashchange", () => {
      clearFlash(); // a flash belongs to the view it was shown on
      route(true);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) stopPolling();
      else if (state.token) {
        route();
        refreshBadges();
      }
    });
    // Keep "3 minutes ago" texts fresh; redraw the chart to the new width.
    setInterval(() => {
      for (const t of $$("time[data-rel]")) t.textContent = relTime(t.getAttribute("datetime"));
    }, 30000);
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (state.view === "health" && state.health.data) drawChart(clear($("#health-chart")), state.health.data.history || [], state.health.data);
      }, 200);
    });
  }

  async function boot() {
    wire();
    loadSession();
    handleOAuthReturn();
    await loadSandboxConfig();
    if (state.token) startBadges();
    route();
  }

  boot();
})();
