"""The pywa peer for open_loop.py: a pywa_async bot on FastAPI, served by uvicorn (two workers),
that answers every text message with a text through the Graph API. It stores nothing.

pywa verifies X-Hub-Signature-256 with the app secret, parses the update, and awaits the
handler before it answers 200, so the acknowledgement follows the reply. pywa has no base-URL
option: it sets `base_url = https://graph.facebook.com/v<api_version>` on the httpx.AsyncClient
it is given (`session=`); that client is ours, so after constructing WhatsApp we set its
`base_url` to the simulator (the library's own HTTP client, pointed at the simulator).

    PEER_APP_SECRET=... PEER_GRAPH_URL=http://127.0.0.1:PORT PEER_TOKEN=... PEER_REPLY=... \
      uvicorn peer_pywa:app --app-dir docs/benchmarks --workers 2 --port N --no-access-log

pywa 3.9.0 (open_loop.sh installs it): pywa 4.x needs a BSUID (`contacts[0].user_id`) in every
message webhook and the generated ones (gen_webhooks.py's shape) carry only the wa_id.

Environment: PEER_APP_SECRET, PEER_GRAPH_URL, PEER_TOKEN, PEER_REPLY, PEER_VERSION (25.0).
"""

import os

import httpx
from fastapi import FastAPI
from pywa_async import WhatsApp, filters, types

VERSION = os.environ.get("PEER_VERSION", "25.0")
GRAPH = os.environ["PEER_GRAPH_URL"].rstrip("/")
REPLY = os.environ.get("PEER_REPLY", "Thanks! We got your order.")

app = FastAPI()
session = httpx.AsyncClient(timeout=30,
                            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))
wa = WhatsApp(
    phone_id="0",  # replies go from the number the update names (metadata.phone_number_id)
    token=os.environ["PEER_TOKEN"],
    session=session,
    server=app,
    webhook_endpoint="/api/webhooks/whatsapp",
    verify_token="unused",
    app_secret=os.environ["PEER_APP_SECRET"],
    filter_updates=False,  # many numbers, one bot
    api_version=VERSION,
)
session.base_url = f"{GRAPH}/v{VERSION}"


@app.get("/stats")
async def stats():
    return {"ok": True}


@wa.on_message(filters.text)
async def answer(_: WhatsApp, msg: types.Message):
    await msg.reply_text(REPLY)
