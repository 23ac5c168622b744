// One node of the peer relay of bench/chat_latency.py: Socket.IO with its Redis adapter, persisting nothing.
//
//   node relay.js PORT REDIS_URL KEY
//
// A socket says who it is in its handshake query: `role=operator` joins the room of every operator,
// otherwise `conversation=ID` joins that conversation's room. `message.send` (with an acknowledgement)
// gives the message the conversation's next seq (kept in memory, per node), acknowledges it to the sender
// and broadcasts `message.created` to the operators and the conversation; the adapter publishes the
// broadcast on Redis, so the sockets of the other node (run with the same KEY) get it too.
// Prints "ready PORT" once it listens with both Redis connections up; SIGTERM stops it.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { Redis } = require("ioredis");

const [port, redisUrl, key] = process.argv.slice(2);
if (!port || !redisUrl || !key) {
  console.error("usage: node relay.js PORT REDIS_URL KEY");
  process.exit(2);
}

function connected(client) {
  return new Promise((resolve, reject) => {
    client.once("ready", resolve);
    client.once("error", reject);
  });
}

async function main() {
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  await Promise.all([connected(pub), connected(sub)]);
  const server = http.createServer();
  const io = new Server(server, { transports: ["websocket"], serveClient: false, adapter: createAdapter(pub, sub, { key }) });
  const seqs = new Map();

  io.on("connection", (socket) => {
    const { role, conversation } = socket.handshake.query;
    socket.join(role === "operator" ? "operators" : `conversation:${conversation}`);
    socket.on("message.send", (frame, ack) => {
      const seq = (seqs.get(frame.conversation_id) || 0) + 1;
      seqs.set(frame.conversation_id, seq);
      const message = {
        conversation_id: frame.conversation_id,
        client_msg_id: frame.client_msg_id,
        text: frame.text,
        seq,
        sender_type: role === "operator" ? "operator" : "visitor",
        created_at: new Date().toISOString(),
      };
      if (typeof ack === "function") ack({ type: "message.ack", client_msg_id: frame.client_msg_id, message });
      io.to(["operators", `conversation:${frame.conversation_id}`]).emit("message.created", { type: "message.created", message });
    });
  });

  server.listen(Number(port), "127.0.0.1", () => console.log(`ready ${port}`));
  process.on("SIGTERM", () => {
    io.close();
    pub.disconnect();
    sub.disconnect();
    process.exit(0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
