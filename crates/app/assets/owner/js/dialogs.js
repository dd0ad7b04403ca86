/*
 * Owner dashboard: the two dialogs, #confirm-dialog (confirmDialog resolves true on "yes")
 * and #proof-dialog (a payment screenshot full size).
 */

import { $ } from "./dom.js";

/** Asks in #confirm-dialog; resolves true on #confirm-yes. */
export function confirmDialog(title, text, yesLabel, noLabel = "Keep it") {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-yes").textContent = yesLabel;
  $("#confirm-no").textContent = noLabel;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "yes");
    };
    dialog.addEventListener("close", done);
    dialog.returnValue = "";
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    $("#confirm-no").focus();
  });
}

export function openProof(url, alt) {
  const dialog = $("#proof-dialog");
  const img = $("#proof-full");
  img.src = url;
  img.alt = alt;
  $("#proof-open").href = url;
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  $("#proof-close").focus();
}

export function wireDialogs() {
  const dialog = $("#confirm-dialog");
  $("#confirm-yes").addEventListener("click", () => dialog.close("yes"));
  $("#confirm-no").addEventListener("click", () => dialog.close("no"));
  const proof = $("#proof-dialog");
  $("#proof-close").addEventListener("click", () => proof.close());
  proof.addEventListener("click", (e) => {
    if (e.target === proof) proof.close(); // tap on the backdrop
  });
}
