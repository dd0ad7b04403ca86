/*
 * Owner dashboard: what the orders and the payments views both show about an order (status
 * and payment badges, payment method, customer, who was notified).
 */

import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { state } from "./state.js";

export const ORDER_STATUS = {
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

const NOTIFIED = {
  queued: "notified",
  outside_window: "not notified: their 24-hour WhatsApp window is closed (no message from them in the last 24 hours)",
  no_number: "not notified: none of your WhatsApp numbers can send right now",
  no_recipient: "not notified: no WhatsApp number is known for them",
};

export function orderStatusBadge(s) {
  return h("span", { class: `badge order-${s}`, text: ORDER_STATUS[s] || s });
}

export function paymentBadge(s) {
  return h("span", { class: `badge pay-${s}`, text: PAYMENT_STATUS[s] || s });
}

export async function ensurePaymentMethods() {
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

export function methodLabel(id) {
  if (!id) return "Not chosen yet";
  return (state.paymentMethods && state.paymentMethods.get(id)) || "Payment method";
}

export function customerEl(order) {
  return h("span", { class: "customer" }, customerText({ name: order.customer_name, phone: order.customer_phone }));
}

function customerText(c) {
  return [c.name, c.phone].filter(Boolean).join(" · ") || "Customer";
}

export function notifiedText(who, value, wording = {}) {
  if (!value) return "";
  return `${who} ${wording[value] || NOTIFIED[value] || `notification: ${value}`}.`;
}
