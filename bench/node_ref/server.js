// The reference for bench/fanout.py: a plain Node Socket.IO server (no database, no permission checks) that
// emits one meeting envelope {meeting_id, seq, type, data, at} to the room on every POST /emit. The same
// bench clients connect to it as to ours (websocket only, meeting:join with an ack), so its latency is the
// floor a Socket.IO fan-out on this machine reaches.
//
//   node bench/node_ref/server.js PORT
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
let seq = 0;
const meetingId = 1;

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"ok":true}');
    return;
  }
  if (req.method === "POST" && req.url === "/emit") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch (e) {
        res.writeHead(400);
        res.end();
        return;
      }
      seq += 1;
      const env = { meeting_id: meetingId, seq, type: body.type || "agenda.current_changed", data: body.data || {}, at: new Date().toISOString() };
      io.to(`meeting:${meetingId}`).emit("event", env);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ seq }));
    });
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(server, { transports: ["websocket"], pingInterval: 10000, pingTimeout: 10000, perMessageDeflate: false });
io.on("connection", (socket) => {
  socket.on("meeting:join", (payload, ack) => {
    socket.join(`meeting:${meetingId}`);
    if (typeof ack === "function") ack({ ok: true, data: { seq, snapshot: {} } });
  });
  socket.on("meeting:sync", (payload, ack) => {
    if (typeof ack === "function") ack({ ok: true, data: { seq, events: [] } });
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
