/*
 * Owner dashboard: the nav badges, unread alerts on Health and payments to check on
 * Payments, refreshed every 20 s while the page is visible.
 */

import { api } from "./api.js";
import { state } from "./state.js";

const BADGE_POLL_MS = 20000;

let badgeTimer = null;

export function setBadge(id, count, noun) {
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

export async function refreshBadges() {
  if (!state.token) return;
  const [notes, pending] = await Promise.allSettled([
    api("GET", "/api/owner/notifications?unread=true&limit=100"),
    api("GET", "/api/owner/payments/pending"),
  ]);
  if (notes.status === "fulfilled" && notes.value) setBadge("health-badge", Number(notes.value.unread) || 0, "unread alerts");
  if (pending.status === "fulfilled" && Array.isArray(pending.value)) setBadge("payments-badge", pending.value.length, "payments to check");
}

export function startBadges() {
  stopBadges();
  refreshBadges();
  badgeTimer = setInterval(() => {
    if (!document.hidden) refreshBadges();
  }, BADGE_POLL_MS);
}

export function stopBadges() {
  clearInterval(badgeTimer);
  badgeTimer = null;
}
