// The webhook panel: each endpoint's delivery status (GET /v1/webhooks). Only the target's scheme, host and port
// are shown: the full URL can carry the receiver's secret.
import { el, setRows } from "./dom.js";

export function renderWebhooks(panel, list) {
  const rows = list.endpoints.map((w) => el("tr", { dataset: { name: w.name, offset: w.offset, deadLetters: w.dead_letters } },
    el("td", {}, w.name),
    el("td", {}, w.target),
    el("td", {}, w.events.length === 0 ? "all" : w.events.join(", ")),
    el("td", {}, w.source),
    el("td", { class: "webhook-offset" }, w.offset < 0 ? "not started" : w.offset),
    el("td", {}, w.in_flight),
    el("td", {}, w.pending),
    el("td", { class: w.dead_letters > 0 ? "bad webhook-dead" : "webhook-dead" }, w.dead_letters)));
  setRows(panel.querySelector("#webhooks tbody"), rows,
    "no webhook endpoint (CALLCLUSTER_WEBHOOK_URL, or callctl webhooks add; docs/call-events.md)");
}
