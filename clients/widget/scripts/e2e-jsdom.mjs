// Manual end-to-end check of the built widget against a running gateway (with the chat service and the
// demo seed): `npm run build && node scripts/e2e-jsdom.mjs [http://127.0.0.1:8000]`.
// It loads /demo/ in jsdom (real scripts, real WebSocket), chats with a demo operator over the REST API,
// navigates, drops the socket, and ends the chat. Not part of `npm test`: it needs the backend.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { JSDOM, CookieJar, ResourceLoader, VirtualConsole } = require("jsdom");
// A browser's user agent: jsdom's own (or Node's fetch) is taken for a robot, which gets no launcher.
const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const GATEWAY = (process.argv[2] || process.env.FW_GATEWAY || "http://127.0.0.1:8000").replace(/\/$/, "");
const SITE = "demo-shop";
const jar = new CookieJar();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, check, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function api(method, path, token, body) {
  const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(GATEWAY + path, { method, headers, body: body && JSON.stringify(body) });
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(payload)}`);
  return payload;
}

/** One page view; `storage` carries localStorage over a navigation (cookies live in the shared jar). */
async function openPage(path, storage = {}) {
  const sockets = [];
  const console = new VirtualConsole();
  console.on("jsdomError", (error) => process.stderr.write(`jsdom: ${error.message}\n`));
  const dom = await JSDOM.fromURL(GATEWAY + path, {
    runScripts: "dangerously",
    resources: new ResourceLoader({ userAgent: BROWSER_UA }),
    cookieJar: jar,
    pretendToBeVisual: true,
    virtualConsole: console,
    beforeParse(window) {
      for (const [key, value] of Object.entries(storage)) window.localStorage.setItem(key, value);
      window.TextEncoder = TextEncoder;
      // jsdom has no fetch: use Node's, with the Origin header a browser would send.
      window.fetch = (url, { keepalive: _keepalive, ...init } = {}) =>
        fetch(url, { ...init, headers: { ...(init.headers || {}), Origin: window.location.origin, "User-Agent": BROWSER_UA } });
      const Native = window.WebSocket;
      window.WebSocket = function (url) {
        const socket = new Native(url);
        sockets.push(socket);
        return socket;
      };
      window.WebSocket.prototype = Native.prototype;
    },
  });
  const window = dom.window;
  await until("the loader", () => window.__floorwalker);
  await window.__floorwalker.ready;
  const root = () => window.document.getElementById("floorwalker-widget").shadowRoot;
  const $ = (name) => root().querySelector(`[data-fw="${name}"]`);
  const messages = () =>
    [...root().querySelectorAll('[data-fw="message"]')].map(
      (m) => `${m.dataset.sender}#${m.dataset.seq ?? "-"}:${m.querySelector('[data-fw="text"]').textContent}`,
    );
  const write = (text) => {
    $("input").value = text;
    $("input").dispatchEvent(new window.KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  };
  const storageDump = () => Object.fromEntries(Object.keys(window.localStorage).map((k) => [k, window.localStorage.getItem(k)]));
  const connected = () => sockets.some((s) => s.readyState === 1);
  return { window, root, $, messages, write, storageDump, sockets, connected };
}

const evil = 'Hello <img src=x onerror="alert(1)">';
let page = await openPage("/demo/");
// jsdom has no constructable stylesheets: the fallback <style> (browsers adopt a stylesheet instead)
assert.ok(page.root().querySelector("style").textContent.startsWith(":host{all:initial!important;display:block!important"));
page.$("launcher").click();
await until("the chat panel", () => page.$("panel"));
page.write(evil);
await until("the first message stored", () => page.messages()[0] === `visitor#1:${evil}`);
assert.equal(page.root().querySelectorAll("img").length, 0);
assert.equal(page.$("status").textContent, "Waiting for an operator…");
await until("the socket", page.connected);
console.log("✓ first message creates the conversation; text stays text");

const operator = await api("POST", "/api/v1/auth/login", null, { email: "olga@demo.example", password: "floorwalker" });
const waiting = (await api("GET", "/api/v1/conversations?state=waiting", operator.access_token)).conversations;
const conversation = waiting.find((c) => c.id === JSON.parse(page.storageDump()[`fw:conv:${SITE}`]).conversation_id);
await api("POST", `/api/v1/conversations/${conversation.id}/accept`, operator.access_token);
await api("POST", `/api/v1/conversations/${conversation.id}/messages`, operator.access_token, { client_msg_id: `op-${Date.now()}`, text: "Olá!" });
await until("the operator's answer", () => page.messages()[1] === "operator#2:Olá!");
assert.equal(page.$("status").textContent, operator.user.name);
console.log("✓ operator accepts and answers in realtime");

const storage = page.storageDump();
page.window.close();
page = await openPage("/demo/tv/", storage);
await until("the panel mounted again with its history", () => page.$("messages") && page.messages().length === 2);
await until("the socket", page.connected);
console.log("✓ the conversation survives navigation");

page.sockets[0].close();
await until("the socket closed", () => page.sockets[0].readyState === 3);
await api("POST", `/api/v1/conversations/${conversation.id}/messages`, operator.access_token, { client_msg_id: `op2-${Date.now()}`, text: "while you were away" });
page.write("written offline");
await until("resume and re-send after reconnect", () => page.messages().filter((m) => !m.includes("#-")).length === 4);
const stored = (await api("GET", `/api/v1/conversations/${conversation.id}/messages?after_seq=0`, operator.access_token)).messages;
assert.deepEqual(stored.map((m) => m.text), [evil, "Olá!", "while you were away", "written offline"]);
assert.equal(page.window.localStorage.getItem(`fw:pending:${SITE}`), null);
console.log("✓ reconnect resumes missed messages and re-sends pending ones exactly once");

page.$("end-chat").click();
await until("the closed state", () => page.$("status").textContent === "Conversation closed");
assert.equal(JSON.parse(page.window.localStorage.getItem(`fw:conv:${SITE}`)).open, false);
assert.equal((await api("GET", `/api/v1/conversations/${conversation.id}`, operator.access_token)).state, "closed");
console.log("✓ end chat closes the conversation and clears the open flag");
page.window.close();
process.exit(0);
