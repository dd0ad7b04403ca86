/*
 * Owner dashboard: "Run checks" on the health view, Meta's diagnosis of one number with how
 * to fix what failed.
 */

import { api } from "../api.js";
import { $, clear, h } from "../dom.js";
import { clearError, flash, report, withBusy } from "../messages.js";

const CHECK_NAMES = {
  token_valid: "Access token is valid",
  token_scopes: "Token has both WhatsApp permissions",
  app_subscribed: "App receives this number's messages",
  number_registered: "Number is registered on WhatsApp",
  can_send: "Number can send messages",
  webhook_recent: "Meta sent news recently (webhook)",
};

export async function onRunChecks() {
  const id = $("#health-account").value;
  if (!id) return;
  const list = clear($("#check-list"));
  $("#check-panel").hidden = false;
  list.append(h("li", { class: "muted", text: "Asking Meta…" }));
  clearError();
  await withBusy($("#run-checks"), async () => {
    try {
      const checks = await api("POST", `/api/owner/whatsapp/accounts/${encodeURIComponent(id)}/diagnose`);
      clear(list);
      const arr = Array.isArray(checks) ? checks : [];
      if (!arr.length) list.append(h("li", { class: "muted", text: "No checks came back." }));
      for (const c of arr) {
        list.append(
          h(
            "li",
            { class: `check ${c.pass ? "pass" : "fail"}`, dataset: { check: c.check } },
            h("span", { class: "check-icon", "aria-hidden": "true", text: c.pass ? "✓" : "✗" }),
            h(
              "div",
              null,
              h("strong", { text: `${CHECK_NAMES[c.check] || c.check}: ${c.pass ? "passed" : "failed"}` }),
              c.detail ? h("p", { class: "check-detail", text: c.detail }) : null,
              !c.pass && c.fix ? h("p", { class: "check-fix" }, h("strong", { text: "How to fix: " }), c.fix) : null,
            ),
          ),
        );
      }
      const failed = arr.filter((c) => !c.pass).length;
      flash(failed ? `${failed} check${failed === 1 ? "" : "s"} failed: see how to fix ${failed === 1 ? "it" : "them"} below.` : "All checks passed.", failed ? "warning" : "success");
    } catch (err) {
      clear(list).append(h("li", { class: "check fail" }, h("span", { class: "check-icon", "aria-hidden": "true", text: "✗" }), h("div", { text: err.message || "The checks could not run." })));
      report(err);
    }
  });
}
