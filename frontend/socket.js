// One websocket session (docs/protocol.md): JSON control messages up, binary frames down.
// Reconnects with backoff after a drop and resumes the same session with the newest `ready` token.
import { decodeFrame } from "./frame.js";

const CLOSE_SERVER_FULL = 1013;
const CLOSE_POLICY = 1008; // idle timeout / bad origin: reconnecting would just repeat it
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000]; // then stays at 8 s

export class LabSocket {
  /**
   * handlers: onReady(msg), onMessage(msg), onFrame(frame), onState(state, detail), and optionally
   *   allow(msg) -> false to drop a message the page may not send (a viewer's controls)
   *   state: "connecting" | "open" | "reconnecting" | "full" | "closed"
   * hello(resume): the fields of the first message (with `resume`, also those of a new session,
   * which the server starts from them when the token has expired).
   * token: a resume token to start with (a reloaded page's, from resume.js), or null.
   */
  constructor(url, handlers, hello, token = null) {
    this.url = url;
    this.handlers = handlers;
    this.hello = hello;
    this.token = token;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
    this.queue = []; // messages sent while (re)connecting go out once the session is ready
    this.ready = false;
  }

  connect() {
    this.stopped = false;
    this.handlers.onState(this.attempt ? "reconnecting" : "connecting", { attempt: this.attempt });
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => {
      const first = this.token ? { type: "hello", resume: this.token, ...this.hello(true) } : { type: "hello", ...this.hello(false) };
      ws.send(JSON.stringify(first));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") {
        let frame;
        try {
          frame = decodeFrame(ev.data);
        } catch (err) {
          this.handlers.onMessage({ type: "error", message: err.message, field: null });
          return;
        }
        this.handlers.onFrame(frame);
        return;
      }
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === "ready") {
        this.token = msg.token || this.token;
        this.attempt = 0;
        this.ready = true;
        this.handlers.onState("open", {});
        this.handlers.onReady(msg);
        for (const m of this.queue.splice(0)) ws.send(JSON.stringify(m));
        return;
      }
      this.handlers.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ready = false;
      if (ev.code === CLOSE_SERVER_FULL) {
        this.handlers.onState("full", { reason: ev.reason });
        this.scheduleReconnect(10000); // a seat may free up; try again slowly
        return;
      }
      if (this.stopped || ev.code === CLOSE_POLICY || ev.code === 1000) {
        this.handlers.onState("closed", { reason: ev.reason || "connection closed", code: ev.code });
        return;
      }
      this.attempt += 1;
      this.handlers.onState("reconnecting", { attempt: this.attempt, reason: ev.reason });
      this.scheduleReconnect(BACKOFF_MS[Math.min(this.attempt - 1, BACKOFF_MS.length - 1)]);
    };
  }

  /** Say hello again on the open socket (after the server refused the first one's config). */
  resendHello(fields) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && !this.ready) {
      this.ws.send(JSON.stringify({ type: "hello", ...fields }));
    }
  }

  scheduleReconnect(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), ms);
  }

  /** Reconnect now (the page's "reconnect" button after an idle timeout). */
  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= 1) this.ws.close();
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  send(msg) {
    if (this.handlers.allow && !this.handlers.allow(msg)) return;
    if (this.ws && this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
    else if (this.queue.length < 50) this.queue.push(msg);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "bye");
  }
}

export function socketUrl(loc = window.location) {
  const proto = loc.protocol === "https:" ? "wss:" : "ws:";
  const base = loc.pathname.replace(/[^/]*$/, "");
  return `${proto}//${loc.host}${base}ws`;
}
