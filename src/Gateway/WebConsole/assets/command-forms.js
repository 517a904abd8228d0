// One form per Call API command, fields named exactly as the method's params (src/Gateway/Protocol/MethodRegistry.cs;
// README, "The commands"). An empty optional field is left out, so the gateway applies its default (both legs).
import { el } from "./dom.js";

const LEGS = ["caller", "callee"];

export const COMMANDS = [
  { method: "CallStart", title: "Start a call (click-to-dial)", fields: [
    { name: "caller", required: true, placeholder: "sip:alice@127.0.0.1" },
    { name: "callee", required: true, placeholder: "sip:bob@127.0.0.1" }] },
  { method: "CallHold", title: "Hold", fields: [
    { name: "callid", required: true },
    { name: "leg", choices: LEGS }] },
  { method: "CallUnHold", title: "Resume (unhold)", fields: [
    { name: "callid", required: true },
    { name: "leg", choices: LEGS }] },
  { method: "CallBlindTransfer", title: "Blind transfer", fields: [
    { name: "callid", required: true },
    { name: "leg", required: true, choices: LEGS },
    { name: "destination", required: true, placeholder: "sip:carol@127.0.0.1" }] },
  { method: "CallAttendedTransfer", title: "Attended transfer", fields: [
    { name: "callid_a", required: true },
    { name: "leg_a", required: true, choices: LEGS },
    { name: "callid_b", required: true },
    { name: "leg_b", required: true, choices: LEGS },
    { name: "destination", placeholder: "optional" }] },
  { method: "CallEnd", title: "End", fields: [
    { name: "callid", required: true }] },
];

/** Builds the forms into container; onSubmit(method, params) runs a command. */
export function renderCommandForms(container, onSubmit) {
  for (const command of COMMANDS) {
    const form = el("form", { class: "command-form", dataset: { method: command.method }, autocomplete: "off" },
      el("fieldset", {},
        el("legend", {}, `${command.title} `, el("code", {}, command.method)),
        ...command.fields.map(field),
        el("button", { type: "submit" }, "Run")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit(command.method, paramsOf(form, command));
    });
    container.append(form);
  }
}

/** Puts a Call-ID into every form's first call field (the "use" button of a live call). */
export function useCallId(container, callid) {
  for (const input of container.querySelectorAll("input[name='callid'], input[name='callid_a']")) {
    input.value = callid;
  }
}

function field(spec) {
  const label = spec.required ? spec.name : `${spec.name} (optional)`;
  const control = spec.choices
    ? el("select", { name: spec.name, required: spec.required ? "" : null },
        ...(spec.required ? [] : [el("option", { value: "" }, "both")]),
        ...spec.choices.map((choice) => el("option", { value: choice }, choice)))
    : el("input", { name: spec.name, required: spec.required ? "" : null, placeholder: spec.placeholder, spellcheck: "false" });
  return el("label", {}, `${label} `, control);
}

function paramsOf(form, command) {
  const params = {};
  for (const spec of command.fields) {
    const value = form.elements[spec.name].value.trim();
    if (value !== "") params[spec.name] = value;
  }
  return params;
}
