/*
 * Owner dashboard: the alerts list on the health view, and marking them read.
 */

import { accountName } from "../account-facts.js";
import { api } from "../api.js";
import { setBadge } from "../badges.js";
import { $, h, isObj, reconcile, safeUrl, setLine } from "../dom.js";
import { timeEl } from "../format.js";
import { clearError, flash, report, withBusy } from "../messages.js";
import { current } from "../router.js";
import { state } from "../state.js";

const SEVERITY = { critical: "Critical", warning: "Warning", info: "Info" };

export async function loadNotifications(gen) {
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

export async function onMarkAllRead() {
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
