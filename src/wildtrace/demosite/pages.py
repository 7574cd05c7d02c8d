"""The demo marketplace's HTML: an index of the demo listings and one page per listing (title,
price, location, date, images, description, seller and the seller's contact), as a marketplace
would show them. Every value is escaped; the banner says the site and its listings are synthetic.
"""

from __future__ import annotations

from html import escape
from typing import Any

from wildtrace.demosite.catalogue import image_name, image_path, listing_path

BANNER = ("WildTrace demo marketplace: SYNTHETIC listings written for training on this computer. "
          "Not a real site; nothing here is for sale.")
STYLE = ("body{font-family:sans-serif;margin:0;color:#222;max-width:52rem}"
         ".banner{background:#b00;color:#fff;padding:.5rem 1rem;font-weight:bold}"
         "main{padding:0 1rem}img{max-width:100%;height:auto;border:1px solid #ccc}"
         ".price{font-size:1.3rem;font-weight:bold}.seller{border-top:1px solid #ccc;margin-top:1rem}"
         "dt{font-weight:bold}dd{margin:0 0 .5rem}")


def _text(value: Any) -> str:
    return escape(str(value)) if value not in (None, "") else ""


def _page(title: str, body: str) -> bytes:
    return ("<!doctype html>\n<html lang=\"und\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"robots\" content=\"noindex\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<p class=\"banner\" role=\"note\">{escape(BANNER)}</p><main>{body}</main></body></html>\n").encode()


def index(listings: list[dict[str, Any]]) -> bytes:
    items = "".join(f"<li><a href=\"{escape(listing_path(str(r['id'])))}\">{_text(r.get('title')) or _text(r['id'])}"
                    f"</a> <small>({_text(r.get('platform'))} / {_text(r.get('seller'))})</small></li>"
                    for r in listings)
    return _page("WildTrace demo marketplace", f"<h1>Demo listings</h1><ul>{items}</ul>")


def listing(record: dict[str, Any]) -> bytes:
    listing_id = str(record["id"])
    price = " ".join(_text(record.get(k)) for k in ("price", "currency") if record.get(k))
    facts = [("Listing", _text(listing_id)), ("Platform", _text(record.get("platform"))),
             ("Location", _text(record.get("location"))), ("Posted", _text(record.get("posted_at")))]
    images = []
    for n, ref in enumerate(record.get("images") or [], 1):
        name = image_name(str(ref))
        if name is not None:
            images.append(f"<figure><img src=\"{escape(image_path(name))}\" width=\"320\" height=\"240\" "
                          f"alt=\"Photo {n} of listing {escape(listing_id)} (synthetic)\"></figure>")
    body = (f"<article data-listing-id=\"{escape(listing_id)}\"><h1>{_text(record.get('title'))}</h1>"
            + (f"<p class=\"price\">{price}</p>" if price else "")
            + "".join(images)
            + f"<p class=\"description\">{_text(record.get('text'))}</p>"
            + "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts if v) + "</dl>"
            + "<section class=\"seller\"><h2>Seller</h2><dl>"
            + f"<dt>Name</dt><dd class=\"seller-name\">{_text(record.get('seller'))}</dd>"
            + (f"<dt>Contact</dt><dd class=\"seller-contact\">{_text(record.get('seller_contact'))}</dd>"
               if record.get("seller_contact") else "")
            + "</dl></section><p><a href=\"/\">All demo listings</a></p></article>")
    return _page(str(record.get("title") or listing_id), body)


def not_found() -> bytes:
    return _page("Not found", "<h1>Not found</h1><p><a href=\"/\">All demo listings</a></p>")
