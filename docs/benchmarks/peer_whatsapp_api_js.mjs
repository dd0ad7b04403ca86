// The peer: a minimal node:http receiver on whatsapp-api-js (npm), the library's own node:http
// middleware. `handle_post` checks the Content-Length, reads the body, verifies
// X-Hub-Signature-256 with the app secret (WebCrypto HMAC-SHA256), parses the batch and
// emits its events; nothing is stored. Answers the status the library returns (200 when the
// signature matches).
//
//   node peer_whatsapp_api_js.mjs PORT APP_SECRET   (NODE_PATH-free: run from the install dir)
import { createServer } from "node:http";
import { WhatsAppAPI } from "whatsapp-api-js/middleware/node-http";

const [port, appSecret] = process.argv.slice(2);
const Whatsapp = new WhatsAppAPI({
  token: "unused",
  appSecret,
  webhookVerifyToken: "unused",
});
let messages = 0;
Whatsapp.on.message = () => {
  messages += 1;
};

createServer(async (req, res) => {
  if (req.method === "POST" && req.url === "/api/webhooks/whatsapp") {
    res.statusCode = await Whatsapp.handle_post(req);
    res.end(res.statusCode === 200 ? "EVENT_RECEIVED" : "");
  } else if (req.url === "/stats") {
    res.end(JSON.stringify({ messages }));
  } else {
    res.statusCode = 404;
    res.end();
  }
}).listen(Number(port), "127.0.0.1", () => {
  console.log(`peer listening on http://127.0.0.1:${port}`);
});
