'use strict';

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is truthy, or fails after timeoutMs with the message. */
async function waitFor(check, message, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await delay(5);
  }
}

module.exports = { delay, waitFor };
