/*
 * Owner dashboard: WhatsApp accounts (#/accounts): the numbers as cards with their actions,
 * connecting a number through Meta, and the explanation when the browser comes back from it.
 */

import { accountName, fetchAccounts, limitText, qualityEl, statusBadge, THROUGHPUT } from "../account-facts.js";
import { api, ApiError } from "../api.js";
import { confirmDialog } from "../dialogs.js";
import { $, fact, h, reconcile, safeUrl, setLine } from "../dom.js";
import { timeEl } from "../format.js";
import { clearError, flash, report, withBusy } from "../messages.js";
import { current } from "../router.js";
import { KEY, state } from "../state.js";

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

export async function enterAccounts(_arg, gen) {
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
export function handleOAuthReturn() {
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

export function wireAccounts() {
  $("#account-list").addEventListener("click", onAccountAction);
  $("#connect-account").addEventListener("click", onConnect);
}
