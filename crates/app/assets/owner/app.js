/*
 * OmniPortal WhatsApp: owner dashboard entry (served as /owner/assets/app.js, loaded by
 * index.html with <script type="module">).
 *
 * Plain ES2020 modules, no build step, no framework; every file is embedded in the binary and
 * served from /owner/assets/ (crates/app/src/http/dashboard.rs lists them). One page with hash
 * routing:
 *   #/accounts (default)  #/health[/<account_id>]  #/orders[/<order_id>]  #/payments  #/sandbox
 * The bearer token from POST /api/owner/login lives in sessionStorage ("omni.token"), with
 * the login's stores ("omni.stores") and the chosen store ("omni.store"). Every owner call
 * sends the bearer and ?store_id=. Any 401 clears the session and shows the login form.
 *
 * Modules, lowest first (each imports only from the ones above it, so no import circle):
 *   js/state.js         the page's state and the sessionStorage keys
 *   js/dom.js           h()/svg() element builders, reconcile() for polled lists, safeUrl()
 *   js/format.js        times and numbers as text and <time> elements
 *   js/api.js           api(): the fetch wrapper (bearer, ?store_id=, ApiError)
 *   js/messages.js      flash, error box, report(err), withBusy(button)
 *   js/dialogs.js       the confirm dialog and the payment-proof dialog
 *   js/poll.js          polling of the current view
 *   js/badges.js        the nav badges (unread alerts, payments to check)
 *   js/router.js        parseHash(), route(), the session chrome
 *   js/session.js       sessionStorage load/save, endSession()
 *   js/account-facts.js js/order-facts.js   wording and badges shared by two views
 *   js/views/*.js       one file per view: login, accounts, health (+ health-chart,
 *                       health-checks, notifications), orders (+ order-detail), payments,
 *                       sandbox; each exports its enter function and a wire function
 *   app.js              this file: wires the listeners and boots
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

import { onSessionEnd } from "./js/api.js";
import { refreshBadges, startBadges } from "./js/badges.js";
import { wireDialogs } from "./js/dialogs.js";
import { $, $$ } from "./js/dom.js";
import { relTime } from "./js/format.js";
import { clearFlash } from "./js/messages.js";
import { stopPolling } from "./js/poll.js";
import { defineViews, route } from "./js/router.js";
import { endSession, loadSession } from "./js/session.js";
import { state } from "./js/state.js";
import { enterAccounts, handleOAuthReturn, wireAccounts } from "./js/views/accounts.js";
import { enterHealth, wireHealth } from "./js/views/health.js";
import { enterLogin, wireLogin } from "./js/views/login.js";
import { enterOrders, wireOrders } from "./js/views/orders.js";
import { enterPayments, wirePayments } from "./js/views/payments.js";
import { enterSandbox, loadSandboxConfig, wireSandbox } from "./js/views/sandbox.js";

function wire() {
  wireLogin();
  $("#skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    $("#main").focus();
  });
  wireDialogs();
  wireAccounts();
  wireHealth();
  wireOrders();
  wirePayments();
  wireSandbox();

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
  // Keep "3 minutes ago" texts fresh.
  setInterval(() => {
    for (const t of $$("time[data-rel]")) t.textContent = relTime(t.getAttribute("datetime"));
  }, 30000);
}

async function boot() {
  onSessionEnd(endSession);
  defineViews({ login: enterLogin, accounts: enterAccounts, health: enterHealth, orders: enterOrders, payments: enterPayments, sandbox: enterSandbox });
  wire();
  loadSession();
  handleOAuthReturn();
  await loadSandboxConfig();
  if (state.token) startBadges();
  route();
}

boot();
