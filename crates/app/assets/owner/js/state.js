/*
 * Owner dashboard: the page's state (one object every module reads and updates) and the
 * sessionStorage keys of the login.
 */

export const KEY = { token: "omni.token", stores: "omni.stores", store: "omni.store", email: "omni.email" };

export const state = {
  token: null,
  email: null,
  stores: [],
  storeId: null,
  sandbox: { enabled: false },
  routeGen: 0,
  view: null,
  accounts: null, // last accounts list of the current store
  paymentMethods: null, // Map id -> label
  proofs: new Map(), // order id|updated_at -> {url, type}
  detail: { id: null, sig: null, riderFor: null, data: null },
  health: { accountId: null, data: null },
  sandboxChat: { from: null },
  sandboxBusy: false,
  highlightAccount: null, // account id from a ?whatsapp=reconnect link
};
