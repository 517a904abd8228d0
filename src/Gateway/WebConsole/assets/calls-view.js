// The live calls panel: the active dialogs of every call node (GET /v1/calls, CallList), first page only.
import { el, setRows } from "./dom.js";

export const PAGE_SIZE = 100;

/** onUse(callid): the operator picked a call for the command forms. */
export function renderCalls(panel, page, onUse) {
  const rows = page.calls.map((c) => el("tr", { dataset: { callid: c.callid, state: c.state } },
    el("td", {}, el("code", {}, c.callid)),
    el("td", { class: "call-state" }, c.state),
    el("td", {}, c.caller ?? "—"),
    el("td", {}, c.callee ?? "—"),
    el("td", {}, held(c.hold)),
    el("td", {}, c.started_at ? new Date(c.started_at).toLocaleTimeString() : "—"),
    el("td", {}, el("button", { type: "button", class: "use", onclick: () => onUse(c.callid) }, "use"))));
  setRows(panel.querySelector("#calls tbody"), rows, "no active calls");
  const more = panel.querySelector("#calls-more");
  more.hidden = page.next_cursor === null;
  more.textContent = `More than ${PAGE_SIZE} calls: the first ${PAGE_SIZE} by Call-ID are shown.`;
}

function held(hold) {
  const legs = ["caller", "callee"].filter((leg) => hold[leg]);
  return legs.length === 0 ? "no" : legs.join(", ");
}
