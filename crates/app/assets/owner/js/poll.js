/*
 * Owner dashboard: polling of the current view. One poll at a time; a route change stops it
 * (poll.gen moves on, so a late answer of the old view is dropped).
 */

import { clearError, report } from "./messages.js";

export const poll = { gen: 0, timer: null, running: false, fn: null, ms: 0 };

/** Runs fn now and every ms while the same view stays; errors show and polling goes on. */
export function startPolling(fn, ms) {
  stopPolling();
  const gen = poll.gen;
  poll.fn = fn;
  poll.ms = ms;
  const tick = async () => {
    if (gen !== poll.gen || document.hidden) return;
    clearTimeout(poll.timer);
    poll.running = true;
    try {
      await fn(gen);
      if (gen === poll.gen) clearError(true);
    } catch (err) {
      if (gen === poll.gen) report(err, {}, true);
    } finally {
      poll.running = false;
    }
    if (gen === poll.gen) poll.timer = setTimeout(tick, ms);
  };
  poll.tick = tick;
  tick();
}

export function stopPolling() {
  poll.gen++;
  clearTimeout(poll.timer);
  poll.timer = null;
  poll.tick = null;
}

/** Polls at once (after a send or an action), unless a poll is already on its way. */
export function pollNow() {
  if (poll.tick && !poll.running) poll.tick();
}
