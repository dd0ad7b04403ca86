/*
 * Owner dashboard: what the accounts and the health views both show about a WhatsApp number
 * (status, quality, messaging limit, throughput), and the accounts list they share.
 */

import { api } from "./api.js";
import { h } from "./dom.js";
import { num } from "./format.js";
import { state } from "./state.js";

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

export const THROUGHPUT = { STANDARD: "Standard (80 messages/s)", HIGH: "High (1,000 messages/s)", NOT_APPLICABLE: "Not registered yet" };

export async function fetchAccounts() {
  const data = await api("GET", "/api/owner/whatsapp/accounts");
  state.accounts = Array.isArray(data && data.accounts) ? data.accounts : [];
  return state.accounts;
}

export function accountName(a) {
  return a.display_name ? `${a.display_name} (${a.formatted_phone})` : a.formatted_phone || a.phone_number;
}

export function qualityEl(rating, color) {
  const q = QUALITY[String(rating || "UNKNOWN").toUpperCase()] || QUALITY.UNKNOWN;
  const c = color ? (color === "gray" ? "grey" : color) : q.color;
  const text = QUALITY[String(rating || "").toUpperCase()] ? q.text : QUALITY_COLOR_TEXT[c] || String(rating);
  return h("span", { class: `quality q-${c}` }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { text }));
}

export function limitText(limit, daily) {
  if (!limit) return "Not known yet";
  const parts = [limit];
  if (daily !== null && daily !== undefined) parts.push(`${num(daily)} customers/day`);
  else if (limit === "TIER_UNLIMITED") parts.push("no daily limit");
  return parts.join(" · ");
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, text: ACCOUNT_STATUS[status] || status });
}
