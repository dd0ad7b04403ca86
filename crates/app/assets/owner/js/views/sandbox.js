/*
 * Owner dashboard: the sandbox customer (#/sandbox), shown only in sandbox mode: messages go
 * through the real webhook, signed like Meta's, and the chat shows what the simulated Meta
 * received back.
 */

import { api } from "../api.js";
import { $, $$, clear, h, isObj, reconcile, setLine } from "../dom.js";
import { timeEl } from "../format.js";
import { clearError, report, showError } from "../messages.js";
import { poll, pollNow, startPolling } from "../poll.js";
import { state } from "../state.js";

const SANDBOX_POLL_MS = 1500;

export async function loadSandboxConfig() {
  try {
    const res = await fetch("/api/sandbox", { headers: { Accept: "application/json" }, cache: "no-store" });
    const data = res.ok ? await res.json() : null;
    state.sandbox = data && data.enabled === true ? data : { enabled: false };
  } catch (_) {
    state.sandbox = { enabled: false };
  }
  $("#sandbox-banner").hidden = !state.sandbox.enabled;
  document.body.classList.toggle("sandbox", state.sandbox.enabled);
  const samples = Array.isArray(state.sandbox.samples) ? state.sandbox.samples : [];
  const label = (id) => (samples.find((s) => s && s.id === id) || {}).label;
  if (label("voice_note")) $("#sample-voice").title = label("voice_note");
  if (label("payment_screenshot")) $("#sample-screenshot").title = label("payment_screenshot");
}

export function enterSandbox() {
  const cust = isObj(state.sandbox.customer) ? state.sandbox.customer : {};
  if (!$("#customer-phone").value) $("#customer-phone").value = cust.phone || "+923001234567";
  if (!$("#customer-name").value) $("#customer-name").value = cust.name || "";
  startPolling(loadCustomerChat, SANDBOX_POLL_MS);
}

async function loadCustomerChat(pgen) {
  const from = $("#customer-phone").value.trim();
  const box = $("#customer-chat");
  if (!from) {
    clear(box);
    setLine("sandbox-state", "Enter the customer's phone number.");
    return;
  }
  if (state.sandboxChat.from !== from) {
    state.sandboxChat.from = from;
    clear(box);
  }
  const data = await api("GET", `/api/sandbox/customer/conversation?from=${encodeURIComponent(from)}`);
  if (pgen !== poll.gen || state.sandboxChat.from !== from) return;
  const messages = Array.isArray(data && data.messages) ? data.messages : [];
  setLine(
    "sandbox-state",
    data && data.phone_number_id === null
      ? "No WhatsApp number is connected in this store yet: connect one under Accounts first."
      : messages.length
        ? ""
        : "No messages yet. Say hello, for example “Menu please”.",
  );
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || !box.children.length;
  const before = box.children.length;
  reconcile(box, messages, (m, i) => m.wamid || `${m.at}|${i}`, sandboxBubble);
  if (nearBottom || box.children.length > before) box.scrollTop = box.scrollHeight;
  setSandboxBusy(state.sandboxBusy);
}

function sandboxBubble(m) {
  const inbound = m.direction === "inbound"; // the customer's message
  const media = isObj(m.media) ? m.media : null;
  let mediaLabel = null;
  if (media) {
    const icon = { audio: "🎤", image: "🖼", video: "🎬", document: "📄" }[media.kind] || "📎";
    const fallback = { audio: "Voice note", image: inbound ? "Payment screenshot" : "Image" }[media.kind] || String(media.kind || "Attachment");
    mediaLabel = `${icon} ${typeof media.caption === "string" && media.caption ? media.caption : fallback}`;
  } else if (!m.text && m.type === "location") mediaLabel = "📍 Location";
  const buttons = Array.isArray(m.buttons) ? m.buttons : [];
  const list = isObj(m.list) ? m.list : null;
  return h(
    "div",
    { class: `bubble ${inbound ? "in" : "out"}`, dataset: { wamid: m.wamid || "" } },
    mediaLabel ? h("p", { class: "media-label", text: mediaLabel }) : null,
    m.text ? h("p", { class: "text", text: m.text }) : null,
    buttons.length
      ? h(
          "div",
          { class: "reply-buttons" },
          buttons.map((b) => h("button", { type: "button", class: "btn reply", dataset: { replyId: b.id, replyKind: "button_reply", replyTitle: b.title }, text: b.title })),
        )
      : null,
    list
      ? h(
          "div",
          { class: "reply-list" },
          list.button ? h("p", { class: "list-button", text: `☰ ${list.button}` }) : null,
          (Array.isArray(list.sections) ? list.sections : []).map((s) =>
            h(
              "div",
              { class: "list-section" },
              s.title ? h("p", { class: "section-title", text: s.title }) : null,
              h(
                "ul",
                null,
                (Array.isArray(s.rows) ? s.rows : []).map((r) =>
                  h(
                    "li",
                    null,
                    h("button", { type: "button", class: "btn reply", dataset: { replyId: r.id, replyKind: "list_reply", replyTitle: r.title }, text: r.title }),
                    r.description ? h("span", { class: "row-desc", text: r.description }) : null,
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
    m.location_request ? h("button", { type: "button", class: "btn reply", dataset: { shareLocation: "" }, text: "📍 Share location" }) : null,
    h("p", { class: "meta" }, h("span", { class: "visually-hidden", text: inbound ? "You, " : "Store, " }), m.at ? timeEl(m.at) : null),
  );
}

function setSandboxBusy(busy) {
  state.sandboxBusy = busy;
  for (const el of [$("#customer-send"), $("#sample-voice"), $("#sample-screenshot"), $("#share-location"), ...$$("#customer-chat button")]) {
    el.disabled = busy;
  }
}

const SAMPLE_LOCATION = { type: "location", latitude: 31.5204, longitude: 74.3587, name: "Home", address: "House 12, Street 5, Gulberg III, Lahore" };

/** Sends one customer message through the sandbox (the real webhook, signed like Meta). */
async function sendAsCustomer(payload) {
  const from = $("#customer-phone").value.trim();
  if (!from) {
    showError("Enter the customer's phone number first.");
    $("#customer-phone").focus();
    return false;
  }
  if (state.sandboxBusy) return false;
  const name = $("#customer-name").value.trim();
  clearError();
  setSandboxBusy(true);
  try {
    await api("POST", "/api/sandbox/customer", { from, name, ...payload });
    return true;
  } catch (err) {
    report(err, { no_account: "Connect a WhatsApp number first (Accounts → Connect)" });
    return false;
  } finally {
    setSandboxBusy(false);
    pollNow();
  }
}

async function onCustomerSend(e) {
  e.preventDefault();
  const input = $("#customer-text");
  const body = input.value.trim();
  if (!body) {
    input.focus();
    return;
  }
  if (await sendAsCustomer({ type: "text", body })) input.value = "";
  input.focus();
}

function onCustomerChatClick(e) {
  const reply = e.target.closest("button[data-reply-id]");
  if (reply) {
    sendAsCustomer({ type: reply.dataset.replyKind, id: reply.dataset.replyId, title: reply.dataset.replyTitle || reply.textContent });
    return;
  }
  if (e.target.closest("button[data-share-location]")) sendAsCustomer(SAMPLE_LOCATION);
}

function onCustomerPhoneChange() {
  state.sandboxChat.from = null;
  clear($("#customer-chat"));
  pollNow();
}

export function wireSandbox() {
  $("#customer-form").addEventListener("submit", onCustomerSend);
  $("#customer-chat").addEventListener("click", onCustomerChatClick);
  $("#customer-phone").addEventListener("change", onCustomerPhoneChange);
  $("#sample-voice").addEventListener("click", () => sendAsCustomer({ type: "voice_note" }));
  $("#sample-screenshot").addEventListener("click", () => sendAsCustomer({ type: "payment_screenshot" }));
  $("#share-location").addEventListener("click", () => sendAsCustomer(SAMPLE_LOCATION));
}
