#!/usr/bin/env python3
"""Writes the seed inputs of both fuzz targets into fuzz/seeds/<target>/.

Sources: the Meta-shaped webhook fixtures of tests/fixtures/webhooks (the same files as
/work/shared/fixtures/webhooks), minified, plus a few hand-made edge cases taken from the
parser's unit tests. Target 1 inputs start with the two bytes its harness reads
([flags, aux], see fuzz/src/lib.rs): mostly 0x00 0x00 (a correct signature with the current
secret, so parsing is reached), and a few other header modes.

Usage: python3 fuzz/make_seeds.py   (then merge into fuzz/corpus/<target>/ with cargo fuzz cmin)
"""
import hashlib
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "tests" / "fixtures" / "webhooks"

WRAP = ('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",'
        '"value":{"metadata":{"display_phone_number":"92300","phone_number_id":"106540352242922"},%s}}]}]}')

HANDMADE = [
    b"not json",
    b"[]",
    b'{"entry":[]}',
    b'{"object":"x"}',
    b'{"object":"x","entry":[]}',
    b'{"object":"x","entry":' + b"[" * 130 + b"]" * 130 + b"}",
    (WRAP % '"contacts":[{"profile":{"name":"A"},"wa_id":"92321"}],"messages":['
     '{"from":"92321","timestamp":"1","type":"text","text":{"body":"no id"}},"garbage",'
     '{"from":"92321","id":"wamid.OK","timestamp":"1763905200","type":"text","text":{"body":"ok"}},'
     '{"from":"92321","id":"wamid.BADTS","timestamp":"yesterday","type":"text"}],'
     '"statuses":[{"id":"wamid.S","timestamp":"1"},{"id":"wamid.S2","status":"read","timestamp":"2"}]').encode(),
    (WRAP % '"contacts":[{"profile":{"name":"Me","username":"@me"},"wa_id":"92321","user_id":"PK.9"}],'
     '"messages":[{"from_user_id":"PK.9","id":"wamid.X","timestamp":"5","type":"interactive",'
     '"interactive":{"type":"list_reply","list_reply":{"id":"r1","title":"T"}},'
     '"context":{"forwarded":true,"id":"wamid.P","referred_product":{"product_retailer_id":"sku"}},'
     '"referral":{"source_type":"ad","ctwa_clid":"c1"}}]').encode(),
    (WRAP % '"messages":[{"from":"1","id":"m1","timestamp":5,"type":"location","location":{"latitude":"24.86","longitude":67.0}},'
     '{"from":"1","id":"m2","timestamp":"6","type":"document","document":{"id":"d","filename":"f.pdf","caption":"c"}},'
     '{"from":"1","id":"m3","timestamp":"7","type":"button","button":{"text":"Yes"}},'
     '{"from":"1","id":"m4","timestamp":"8","type":"reaction","reaction":{"message_id":"m0","emoji":""}}],'
     '"errors":[{"code":"130429","title":"Rate limit","error_data":{"details":"d"}}]').encode(),
    b'{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"abc"},"messages":[{"id":"a"},{"id":"b"}]}}]}]}',
    b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_review_update","value":{"decision":"APPROVED"}}]},'
    b'"garbage",{"id":"2"},{"id":"3","changes":[{"value":{}},{"field":"account_review_update","value":{"decision":"REJECTED"}}]}]}',
    b'{"object":"whatsapp_business_account","entry":[{"id":"7","time":9,"changes":[{"field":"account_update","value":["unexpected"]},{"field":"messages","value":null}]}]}',
    b'{"object":"whatsapp_business_account","entry":[{"id":1,"time":"9","changes":['
    b'{"field":"business_capability_update","value":{"max_daily_conversations_per_business":"TIER_2K","max_phone_numbers_per_waba":25}},'
    b'{"field":"phone_number_quality_update","value":{"display_phone_number":"92300","event":"UPGRADE","current_limit":"TIER_10K","old_limit":1000}},'
    b'{"field":"account_alerts","value":{"entity_type":"WABA","entity_id":"1","alert_info":{"alert_type":"x","alert_severity":"WARNING","alert_status":"ACTIVE","alert_description":"d"}}},'
    b'{"field":"phone_number_name_update","value":{"display_phone_number":"92300","decision":"APPROVED","requested_verified_name":"N"}},'
    b'{"field":"message_template_status_update","value":{"message_template_id":123,"event":"APPROVED","reason":null}}]}]}',
]


def minified(path):
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False,
                      separators=(",", ":")).encode()


def write(target, data):
    out = FUZZ / "seeds" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    bodies = [minified(p) for p in sorted(FIXTURES.glob("*.json"))] + HANDMADE
    for body in bodies:
        write("webhook_batch_walker", body)
        write("webhook_signature_and_parse", b"\x00\x00" + body)  # correct signature
    text = minified(FIXTURES / "text_urdu_emoji.json")
    write("webhook_signature_and_parse", b"\x01\x00" + text)  # signed over the \u-escaped form
    write("webhook_signature_and_parse", b"\x1c\x00" + text)  # previous secret, uppercase, padded
    write("webhook_signature_and_parse", b"\x80\x80" + text)  # one bit flipped after signing
    write("webhook_signature_and_parse", b"\x03\x00" + text)  # no header
    write("webhook_signature_and_parse", b"\x40\x00" + text)  # no secret configured
    for header in [b"sha256=", b"sha256=zz", b"sha256=abcd", b"sha1=" + b"0" * 40,
                   b"sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441", b"  "]:
        write("webhook_signature_and_parse", b"\x02" + bytes([len(header)]) + header + text)


if __name__ == "__main__":
    main()
