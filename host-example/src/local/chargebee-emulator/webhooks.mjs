// Webhooks of the emulated site (Settings › Configure Chargebee › Webhooks): up to five endpoints, each
// with a URL and optional Basic-auth user name and password; every event is POSTed to each of them as
// JSON, the event object itself (shared/fixtures/chargebee/business_entity_event.json). A non-2xx answer
// or a timeout is retried on Chargebee's schedule (webhook-outbox.mjs; tests pass shorter delays), and the
// event's `webhook_status` follows: succeeded, re_scheduled, failed. Chargebee warns that webhooks "reach
// your application out-of-order and that they get duplicated" (chargebee.com/docs/2.0/webhook_settings.html):
// `setDisorder` makes the emulator do both, on a fixed pattern.
import { ApiError } from "./errors.mjs";
import { chargebeeJson } from "./json.mjs";
import { randomId } from "./site.mjs";
import { Outbox } from "../webhook-outbox.mjs";

/** @typedef {import("./site.mjs").Site} Site */
/** @typedef {import("./events.mjs").Endpoint} Endpoint */
/** @typedef {Record<string, any>} Json */

const MAX_ENDPOINTS = 5; // "You can create up to five Webhooks" (webhook_settings.html)

/**
 * @typedef {object} Disorder a test switch
 * @property {number} [duplicateEvery] every n-th event is delivered a second time, `holdMs` later
 * @property {number} [holdEvery] every n-th event is held back `holdMs`, so later ones overtake it
 * @property {number} [holdMs] default 300
 */

export class SiteWebhooks {
  /** @param {Site} site @param {import("../webhook-outbox.mjs").OutboxOptions} [o] */
  constructor(site, o) {
    this.site = site;
    this.outbox = new Outbox(o);
    /** @type {Disorder | null} */
    this.disorder = null;
    this.count = 0;
    site.webhookEndpoints = [];
    site.onEvent = (event) => this.deliver(event);
  }

  /** What a person does in the settings: add an endpoint. @param {{ url: string, username?: string, password?: string }} e */
  addEndpoint(e) {
    const list = /** @type {Endpoint[]} */ (this.site.webhookEndpoints);
    if (list.length >= MAX_ENDPOINTS) throw new ApiError(400, "resource_limit_exhausted", "at most 5 webhooks per site");
    if (!/^https?:\/\//.test(e.url)) throw new ApiError(400, "param_wrong_value", "url : invalid url");
    const endpoint = { id: `whv2_${randomId()}`, url: e.url, username: e.username, password: e.password };
    list.push(endpoint);
    return endpoint;
  }

  /** @param {Disorder | null} d */
  setDisorder(d) {
    this.disorder = d;
    this.count = 0;
  }

  /** @param {Json} event */
  deliver(event) {
    const n = ++this.count;
    const d = this.disorder;
    const hold = d?.holdMs ?? 300;
    const delay = d?.holdEvery && n % d.holdEvery === 0 ? hold : 0;
    const twice = Boolean(d?.duplicateEvery && n % d.duplicateEvery === 0);
    for (const [i, endpoint] of /** @type {Endpoint[]} */ (this.site.webhookEndpoints).entries()) {
      if (!event.webhooks[i]) continue;
      /** @type {Record<string, string>} */
      const headers = endpoint.username !== undefined
        ? { authorization: "Basic " + Buffer.from(`${endpoint.username}:${endpoint.password ?? ""}`).toString("base64") }
        : {};
      const message = {
        url: endpoint.url, body: chargebeeJson(event), headers,
        onAttempt: (/** @type {{ ok: boolean, final: boolean }} */ r) => this.#status(event, i, r.ok ? "succeeded" : r.final ? "failed" : "re_scheduled"),
      };
      this.outbox.push(message, delay);
      if (twice) this.outbox.push({ ...message, onAttempt: undefined }, delay + hold);
    }
  }

  /** @param {Json} event @param {number} i @param {string} status */
  #status(event, i, status) {
    event.webhooks[i].webhook_status = status;
    const all = event.webhooks.map((/** @type {Json} */ w) => w.webhook_status);
    event.webhook_status = all.includes("failed") ? "failed" : all.includes("re_scheduled") || all.includes("scheduled")
      ? (all.includes("re_scheduled") ? "re_scheduled" : "scheduled") : "succeeded";
  }

  /** Resolves when every delivery (retries included) is done. */
  idle() {
    return this.outbox.idle();
  }

  close() {
    this.outbox.close();
  }
}
