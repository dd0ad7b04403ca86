/*
 * Owner dashboard: one order (#/orders/<id>): lines, totals, delivery, payment, the next
 * status, the rider, the agent's pause and the conversation.
 */

import { api, ApiError } from "../api.js";
import { confirmDialog, openProof } from "../dialogs.js";
import { $, appendAll, clear, fact, h, isObj, reconcile, safeUrl, setLine, sigOf } from "../dom.js";
import { timeEl } from "../format.js";
import { clearError, flash, report, showError, withBusy } from "../messages.js";
import { methodLabel, notifiedText, ORDER_STATUS, orderStatusBadge, paymentBadge } from "../order-facts.js";
import { poll, pollNow } from "../poll.js";
import { state } from "../state.js";

const NEXT_STATUS = { placed: "confirmed", confirmed: "preparing", preparing: "out_for_delivery", out_for_delivery: "delivered" };

const STATUS_ACTION = {
  confirmed: "Confirm order",
  preparing: "Start preparing",
  out_for_delivery: "Send out for delivery",
  delivered: "Mark delivered",
  cancelled: "Cancel order",
};

const RIDER_NOTIFIED = {
  outside_window: "not notified: their 24-hour WhatsApp window is closed and no rider template is set (ordering settings)",
};

const KIND_LABEL = { image: "🖼 Image", audio: "🎤 Voice note", video: "🎬 Video", document: "📄 Document", location: "📍 Location", sticker: "Sticker", interactive: "Menu reply" };

export async function loadOrderDetail(id, pgen) {
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

export function wireOrderDetail() {
  $("#order-actions").addEventListener("click", onStatusClick);
  $("#rider-form").addEventListener("submit", onRiderSubmit);
  $("#agent-toggle").addEventListener("click", onAgentToggle);
  $("#order-summary").addEventListener("click", (e) => {
    const btn = e.target.closest("button[data-proof-for]");
    if (btn) onProofFor(btn);
  });
}
