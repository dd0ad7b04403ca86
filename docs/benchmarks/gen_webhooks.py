#!/usr/bin/env python3
"""Generates signed single-message WhatsApp webhooks for the ingest benchmark.

Each body is one Meta-shaped `messages` webhook (one entry, one change, one text message) with
a unique wamid and a unique customer wa_id; message i goes to number i % len(numbers), so the
replies spread over every store. Output, one request per line, in one file per wrk thread (OUT.0, OUT.1, ...; message i in
OUT.(i % shards)), for `replay.lua`:

    <hex HMAC-SHA256(app secret, body)> <body>

and, with --windows, one `POST /_sim/windows` body per line (the customer's 24-hour window,
which Meta opens when the customer writes; the simulator refuses replies without it).

Usage: gen_webhooks.py --count N --secret S --numbers PNID:WABA:DISPLAY,... --out FILE
           [--windows FILE] [--run-tag TAG] [--shards T]
"""

import argparse
import hashlib
import hmac
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--numbers", required=True, help="PNID:WABA:DISPLAY,...")
    ap.add_argument("--out", required=True)
    ap.add_argument("--windows")
    ap.add_argument("--run-tag", default="R0", help="makes wamids unique across runs")
    ap.add_argument("--shards", type=int, default=2, help="one file per wrk thread: OUT.0, OUT.1, ...")
    args = ap.parse_args()

    numbers = [n.split(":") for n in args.numbers.split(",") if n]
    key = args.secret.encode()
    ts = str(int(time.time()))
    tag = args.run_tag.upper()
    shards = range(args.shards)
    outs = [open("%s.%d" % (args.out, t), "w", encoding="ascii") for t in shards]
    wins = [open("%s.%d" % (args.windows, t), "w", encoding="ascii") for t in shards] if args.windows else None
    for i in range(args.count):
        pnid, waba, display = numbers[i % len(numbers)]
        wa_id = "92%010d" % (3_000_000_000 + i)
        wamid = "wamid.HBgM%s%s%012d" % (tag, "BENCH", i)
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": waba,
                        "changes": [
                            {
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": display,
                                        "phone_number_id": pnid,
                                    },
                                    "contacts": [
                                        {"profile": {"name": "Customer %d" % i}, "wa_id": wa_id}
                                    ],
                                    "messages": [
                                        {
                                            "from": wa_id,
                                            "id": wamid,
                                            "timestamp": ts,
                                            "text": {"body": "mujhe 2 zinger burger chahiye, order #%d" % i},
                                            "type": "text",
                                        }
                                    ],
                                },
                                "field": "messages",
                            }
                        ],
                    }
                ],
            },
            separators=(",", ":"),
        )
        sig = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        out = outs[i % args.shards]
        out.write(sig)
        out.write(" ")
        out.write(body)
        out.write("\n")
        if wins:
            wins[i % args.shards].write('{"phone_number_id":"%s","wa_id":"%s"}\n' % (pnid, wa_id))
    for f in outs + (wins or []):
        f.close()


if __name__ == "__main__":
    main()
