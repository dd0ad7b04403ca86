/*
 * Owner dashboard: number health (#/health[/<account_id>]): the summary now, the chart and
 * the table of changes; the checks and the alerts have their own modules.
 */

import { accountName, fetchAccounts, limitText, qualityEl, statusBadge, THROUGHPUT } from "../account-facts.js";
import { api } from "../api.js";
import { $, appendAll, clear, fact, h, isObj, setLine } from "../dom.js";
import { absTimeEl, fullTime, timeEl } from "../format.js";
import { report } from "../messages.js";
import { current } from "../router.js";
import { state } from "../state.js";
import { drawChart, snapQuality, snapTier } from "./health-chart.js";
import { onRunChecks } from "./health-checks.js";
import { loadNotifications, onMarkAllRead } from "./notifications.js";

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

export async function enterHealth(arg, gen) {
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

/** The number picker, the checks, the alerts, and the chart redrawn to a new width. */
export function wireHealth() {
  $("#health-account").addEventListener("change", onHealthAccountChange);
  $("#run-checks").addEventListener("click", onRunChecks);
  $("#mark-all-read").addEventListener("click", onMarkAllRead);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.view === "health" && state.health.data) drawChart(clear($("#health-chart")), state.health.data.history || [], state.health.data);
    }, 200);
  });
}
