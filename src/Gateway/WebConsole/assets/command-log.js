// The commands this page started or follows, newest first, each with its notifications as they stream in
// (Event ... Ended, numbered by seq) and its outcome.
import { el } from "./dom.js";

export class CommandLog {
  #list;

  constructor(list) {
    this.#list = list;
  }

  /** Adds a command entry; returns what updates it. */
  add(method, params) {
    const status = el("span", { class: "command-status", dataset: { status: "sending" } }, "sending");
    const cmdId = el("code", { class: "command-id" }, "");
    const notifications = el("ol", { class: "notifications" });
    const summary = Object.entries(params).map(([name, value]) => `${name}=${value}`).join(" ");
    const entry = el("li", { class: "command", dataset: { method } },
      el("div", { class: "command-head" }, el("strong", {}, method), " ", el("span", { class: "params" }, summary), " ", status),
      el("div", { class: "command-meta" }, "cmd_id ", cmdId),
      notifications);
    this.#list.prepend(entry);
    return {
      started: (id) => {
        entry.dataset.cmdId = id;
        cmdId.textContent = id;
        // A replayed command (follow) may have ended before its reply was handled: keep the outcome.
        if (status.dataset.status === "sending") setStatus(status, "running", "running");
      },
      refused: (message) => setStatus(status, "refused", message),
      notified: (notification) => {
        notifications.append(notificationItem(notification));
        if (notification.kind === "Ended") {
          setStatus(status, notification.status, notification.status === "ok" ? "ok" : `failed: ${errorText(notification.error)}`);
        }
      },
    };
  }
}

function setStatus(node, state, text) {
  node.dataset.status = state;
  node.textContent = text;
}

/** "3 CALL_START callid=… destination=…", or "5 Ended ok" / "5 Ended failed -32000 message". */
function notificationItem(n) {
  const details = n.kind === "Ended"
    ? [n.status, n.error ? errorText(n.error) : null]
    : [n.callid && `callid=${n.callid}`, n.leg && `leg=${n.leg}`, n.destination && `destination=${n.destination}`,
       n.sip_status && `sip_status=${n.sip_status}`];
  const label = n.kind === "Ended" ? "Ended" : n.data;
  return el("li", { class: "notification", dataset: { seq: n.seq, kind: n.kind, data: label, callid: n.callid } },
    el("span", { class: "seq" }, n.seq), " ", el("strong", {}, label), " ", details.filter(Boolean).join(" "));
}

function errorText(error) {
  return error ? `${error.code} ${error.message ?? ""}`.trim() : "";
}
