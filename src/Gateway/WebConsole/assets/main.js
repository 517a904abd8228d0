// Wires the console together: the REST views polled, the Call API WebSocket for commands, the token form.
import { setToken } from "./credentials.js";
import { AuthRequired, getJson } from "./rest.js";
import { poll } from "./poller.js";
import { showError } from "./dom.js";
import { CallApi } from "./call-api.js";
import { CommandLog } from "./command-log.js";
import { renderCommandForms, useCallId } from "./command-forms.js";
import { renderCluster } from "./cluster-view.js";
import { renderCalls, PAGE_SIZE } from "./calls-view.js";
import { renderWebhooks } from "./webhooks-view.js";

const settings = await (await fetch("settings.json", { cache: "no-store" })).json();
const authHelp = document.getElementById("auth-help");
const connection = document.getElementById("connection");
const forms = document.getElementById("command-forms");

// After a 401 the page stops asking (each refused request is a log line on the gateway) until a token is given.
let waitingForToken = false;

/** A panel refreshed from one REST route; a 401 shows how to give a token. */
function view(panelId, path, render, intervalMs) {
  const panel = document.getElementById(panelId);
  return poll(async () => {
    if (waitingForToken) return;
    try {
      render(panel, await getJson(settings.rest + path));
      showError(panel, null);
    } catch (error) {
      if (error instanceof AuthRequired) {
        waitingForToken = true;
        authHelp.hidden = false;
      }
      showError(panel, error.message);
    }
  }, intervalMs);
}

const refreshCluster = view("cluster-panel", "/cluster", renderCluster, 2000);
const refreshCalls = view("calls-panel", `/calls?limit=${PAGE_SIZE}`,
  (panel, page) => renderCalls(panel, page, (callid) => useCallId(forms, callid)), 1000);
const refreshWebhooks = view("webhooks-panel", "/webhooks", renderWebhooks, 2000);

const api = new CallApi(settings, (state, detail) => {
  connection.dataset.state = state;
  connection.textContent = `Call API: ${waitingForToken && state === "closed" ? "needs a token" : detail ?? state}`;
}, () => !waitingForToken);
const log = new CommandLog(document.getElementById("commands"));

function connect() {
  api.connect().catch((error) => {
    connection.dataset.state = "closed";
    connection.textContent = `Call API: ${error.message}`;
  });
}

/** Runs a command (or follows one) and shows its notifications as they come; the calls list follows each one. */
async function track(entry, start) {
  try {
    const { cmdId, reply } = await start((notification) => {
      entry.notified(notification);
      refreshCalls();
    });
    if (reply.error) entry.refused(`${reply.error.code} ${reply.error.message}${reply.error.data ? ": " + reply.error.data : ""}`);
    else entry.started(cmdId);
  } catch (error) {
    entry.refused(error.message);
  }
}

renderCommandForms(forms, (method, params) =>
  track(log.add(method, params), (onNotification) => api.command(method, params, onNotification)));

document.getElementById("follow-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const cmdId = event.target.elements.cmd_id.value.trim();
  track(log.add("follow", { cmd_id: cmdId }), async (onNotification) =>
    ({ cmdId, reply: await api.follow(cmdId, onNotification) }));
});

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setToken(document.getElementById("token").value);
  document.getElementById("token").value = "";
  authHelp.hidden = true;
  waitingForToken = false;
  connect();
  refreshCluster();
  refreshCalls();
  refreshWebhooks();
});
document.getElementById("token-forget").addEventListener("click", () => {
  setToken("");
  waitingForToken = false;
  connect();
  refreshCluster();
  refreshCalls();
  refreshWebhooks();
});

connect();
