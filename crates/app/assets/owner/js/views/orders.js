/*
 * Owner dashboard: orders (#/orders and #/orders/<id>): the polled, filtered list; the detail
 * of one order is order-detail.js.
 */

import { api } from "../api.js";
import { $, clear, h, reconcile, setLine } from "../dom.js";
import { timeEl } from "../format.js";
import { customerEl, ensurePaymentMethods, ORDER_STATUS, orderStatusBadge, paymentBadge } from "../order-facts.js";
import { poll, pollNow, startPolling } from "../poll.js";
import { state } from "../state.js";
import { loadOrderDetail, wireOrderDetail } from "./order-detail.js";

const ORDERS_POLL_MS = 3000;

export function enterOrders(arg) {
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

/** The list's filter, and the detail's buttons and forms. */
export function wireOrders() {
  $("#order-filter").addEventListener("change", onOrderFilter);
  wireOrderDetail();
}
