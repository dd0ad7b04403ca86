/*
 * Owner dashboard: payment verification (#/payments): each payment screenshot waiting, beside
 * the amount due, to approve or reject.
 */

import { api } from "../api.js";
import { refreshBadges, setBadge } from "../badges.js";
import { openProof } from "../dialogs.js";
import { $, clear, h, reconcile, setLine } from "../dom.js";
import { timeEl } from "../format.js";
import { clearError, flash, report, showError, withBusy } from "../messages.js";
import { customerEl, ensurePaymentMethods, methodLabel, notifiedText } from "../order-facts.js";
import { poll, pollNow, startPolling } from "../poll.js";
import { state } from "../state.js";

const PAYMENTS_POLL_MS = 3000;

export function enterPayments() {
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

/** Approve/reject clicks, the proof zoom, and Enter in a reason field rejects. */
export function wirePayments() {
  $("#payment-list").addEventListener("click", onPaymentAction);
  $("#payment-list").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.matches("input.reject-reason")) {
      e.preventDefault();
      const btn = e.target.closest("li.payment").querySelector('button[data-action="reject"]');
      if (btn) btn.click();
    }
  });
}
