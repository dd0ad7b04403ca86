// The peer: a minimal node:http receiver on whatsapp-api-js (npm), the library's own node:http
// middleware. `handle_post` checks the Content-Length, reads the body, verifies
// X-Hub-Signature-256 with the app secret (WebCrypto HMAC-SHA256), parses the batch and
// emits its events; nothing is stored. Answers the status the library returns (200 when the
// signature matches).
//
// With GRAPH_URL and TOKEN (open_loop.py), it also answers every text message with REPLY
// through the Graph API, the library's `reply` (sendMessage) awaited in the handler, so the 200
// follows the reply. The library has no base-URL option (it calls https://graph.facebook.com);
// its `ponyfill.fetch` hook is given node's fetch with that origin replaced by GRAPH_URL.
//
//   node peer_whatsapp_api_js.mjs PORT APP_SECRET [GRAPH_URL TOKEN [REPLY [VERSION]]]
//   (NODE_PATH-free: run from the install dir)
import { createServer } from "node:http";
import { WhatsAppAPI } from "whatsapp-api-js/middleware/node-http";
import { Text } from "whatsapp-api-js/messages";

const [port, appSecret, graphUrl, token, replyText, version] = process.argv.slice(2);
const Whatsapp = new WhatsAppAPI({
  token: token || "unused",
  appSecret,
  webhookVerifyToken: "unused",
  v: version || "v25.0",
  ponyfill: graphUrl
    ? { fetch: (url, init) => fetch(String(url).replace("https://graph.facebook.com", graphUrl), init) }
    : {},
});
let messages = 0;
let replied = 0;
let replyErrors = 0;
Whatsapp.on.message = graphUrl
  ? async ({ message, reply }) => {
      messages += 1;
      if (message.type !== "text") return;
      try {
        await reply(new Text(replyText || "Thanks! We got your order."));
        replied += 1;
      } catch {
        replyErrors += 1;
      }
    }
  : () => {
      messages += 1;
    };

createServer(async (req, res) => {
  if (req.method === "POST" && req.url === "/api/webhooks/whatsapp") {
    res.statusCode = await Whatsapp.handle_post(req);
    res.end(res.statusCode === 200 ? "EVENT_RECEIVED" : "");
  } else if (req.url === "/stats") {
    res.end(JSON.stringify({ messages, replied, replyErrors }));
  } else {
    res.statusCode = 404;
    res.end();
  }
}).listen(Number(port), "127.0.0.1", () => {
  console.log(`peer listening on http://127.0.0.1:${port}`);
});
