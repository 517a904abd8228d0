// The native Call API over one WebSocket (JSON-RPC 2.0, README "Client protocol"): requests with their replies, and
// each command's Event/Ended notifications handed to whoever follows that cmd_id. The console picks every cmd_id
// itself, so it follows a command before the first notification can arrive; after a reconnect it resubscribes each
// unfinished command from the last seq it saw (CommandSubscribe), so no notification is lost or shown twice.
import { authHeaders, hasToken } from "./credentials.js";

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 5000];

export class CallApi {
  #settings;
  #onState;
  #mayReconnect;
  #socket = null;
  #nextId = 1;
  #pending = new Map(); // request id -> { resolve, reject, socket it was sent on }
  #followers = new Map(); // cmd_id -> { lastSeq, ended, onNotification }
  #attempt = 0;
  #opened = null;

  /** settings: the gateway's /console/settings.json; onState(state, detail): "open", "connecting" or "closed";
   * mayReconnect(): false while retrying is pointless (the page waits for a token; connect() is then called again). */
  constructor(settings, onState, mayReconnect) {
    this.#settings = settings;
    this.#onState = onState;
    this.#mayReconnect = mayReconnect;
  }

  /** Opens the socket (again); resolves when it is open. */
  connect() {
    // Forgotten before it closes: its close event then reports nothing and schedules no reconnect of its own.
    const previous = this.#socket;
    this.#socket = null;
    previous?.close();
    this.#opened = this.#open();
    return this.#opened;
  }

  /** Sends a command with a cmd_id of our own and follows it; resolves with the JSON-RPC reply. */
  async command(method, params, onNotification) {
    const cmdId = newCmdId();
    this.#followers.set(cmdId, { lastSeq: 0, ended: false, onNotification });
    const reply = await this.#settled(cmdId, this.#request(method, { ...params, cmd_id: cmdId }));
    return { cmdId, reply };
  }

  /** Follows a command started elsewhere (another client, the REST API) from its first notification. */
  async follow(cmdId, onNotification) {
    this.#followers.set(cmdId, { lastSeq: 0, ended: false, onNotification });
    return this.#settled(cmdId, this.#request("CommandSubscribe", { cmd_id: cmdId, after_seq: 0 }));
  }

  /** A refused request (an error reply) or one never sent starts nothing: its cmd_id is not followed any more. One
   * whose connection closed before the reply may have started: it stays followed, and the reconnect resubscribes. */
  async #settled(cmdId, request) {
    try {
      const reply = await request;
      if (reply.error) this.#followers.delete(cmdId);
      return reply;
    } catch (error) {
      if (error instanceof NotConnected) this.#followers.delete(cmdId);
      throw error;
    }
  }

  async #open() {
    if (!this.#settings.call_api) throw new Error("this gateway serves no native Call API path");
    this.#onState("connecting");
    const url = new URL(this.#settings.call_api, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (hasToken()) {
      // Browsers cannot set headers on a WebSocket: the token buys a once-only ticket for the URL (docs/security.md).
      url.searchParams.set("ticket", await this.#ticket());
    }
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (event) => this.#closed(socket, event));
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve, { once: true });
      socket.addEventListener("close", () => reject(new Error("the Call API WebSocket did not open")), { once: true });
    });
    this.#attempt = 0;
    this.#onState("open");
    this.#resubscribe();
  }

  async #ticket() {
    const response = await fetch(this.#settings.ticket, { method: "POST", headers: authHeaders() });
    if (!response.ok) throw new Error(`no WebSocket ticket for this token: HTTP ${response.status}`);
    return (await response.json()).ticket;
  }

  #closed(socket, event) {
    for (const [id, request] of this.#pending) {
      if (request.socket === socket) {
        request.reject(new Error("the Call API connection closed"));
        this.#pending.delete(id);
      }
    }
    if (socket !== this.#socket) return; // replaced by connect(): the new socket reports for itself
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#attempt++, RECONNECT_DELAYS_MS.length - 1)];
    this.#onState("closed", `closed (${event.code}${event.reason ? " " + event.reason : ""}); retrying in ${delay / 1000} s`);
    setTimeout(() => {
      if (socket === this.#socket && this.#mayReconnect()) this.connect().catch(() => {});
    }, delay);
  }

  /** After a reconnect: every unfinished command continues from the last notification shown. */
  #resubscribe() {
    for (const [cmdId, follower] of this.#followers) {
      if (!follower.ended) {
        // An error reply: the command never started (its request was lost with the old connection), or is gone.
        this.#request("CommandSubscribe", { cmd_id: cmdId, after_seq: follower.lastSeq })
          .then((reply) => reply.error && this.#followers.delete(cmdId), () => {});
      }
    }
  }

  async #request(method, params) {
    try {
      await this.#opened;
    } catch (error) {
      throw new NotConnected(`the Call API is not connected: ${error.message}`);
    }
    if (this.#socket?.readyState !== WebSocket.OPEN) throw new NotConnected("the Call API is not connected");
    const id = this.#nextId++;
    const socket = this.#socket;
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, socket }));
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return reply;
  }

  #receive(text) {
    const frame = JSON.parse(text);
    for (const message of Array.isArray(frame) ? frame : [frame]) {
      if (message.id !== undefined && message.id !== null && this.#pending.has(message.id)) {
        this.#pending.get(message.id).resolve(message);
        this.#pending.delete(message.id);
      } else if (message.method === "Event" || message.method === "Ended") {
        this.#notify(message.method, message.params);
      }
    }
  }

  #notify(kind, params) {
    const follower = this.#followers.get(params.cmd_id);
    // A replay after a reconnect may repeat what was shown: seq says which.
    if (!follower || params.seq <= follower.lastSeq) return;
    follower.lastSeq = params.seq;
    follower.ended = kind === "Ended";
    follower.onNotification({ kind, ...params });
  }
}

/** Nothing was sent: the socket was not open. */
class NotConnected extends Error {}

/** 128 random bits as hex. crypto.randomUUID needs a secure context; a gateway on plain http off loopback is not one. */
function newCmdId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
