"""The demo shop: plain server-rendered pages that embed the widget with the one-line snippet.

Every URL of a page is relative to the origin it was served from (the widget's script: `/widget.js`): behind
a proxy that terminates TLS, the gateway sees plain HTTP and its own host, and a URL built from the request
(`request.base_url`) was `http://...` in an `https://` page (mixed content: the browser blocks the widget).
"""

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.common.errors import NotFound
from services.common.validation import PathKey
from services.gateway.demo.catalogue import SECTIONS, Product, find, search

DEMO_SITE_KEY = "demo-shop"
router = APIRouter(prefix="/demo", include_in_schema=False)

STYLE = """
body{font-family:Georgia,serif;margin:0;background:#fbf8f3;color:#222}
header{background:#1f2937;color:#fff;padding:14px 24px;display:flex;gap:24px;align-items:center}
header a{color:#fde68a;text-decoration:none} header strong{font-size:20px}
main{padding:24px;max-width:960px;margin:auto} .grid{display:grid;grid-template-columns:repeat(3,1fr);gap:16px}
.card{background:#fff;border:1px solid #e5e7eb;padding:16px;border-radius:6px} .price{font-weight:bold;color:#b45309}
form{margin-left:auto} input{padding:6px}
button{background:#b91c1c;color:white;border:0;padding:8px 12px}
"""


def _layout(title: str, body: str) -> HTMLResponse:
    nav = " ".join(f'<a href="/demo/{key}/">{escape(name)}</a>' for key, (name, _) in SECTIONS.items())
    html = f"""<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>{escape(title)} · Loja Demo</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><style>{STYLE}</style></head>
<body><header><strong><a href="/demo/">Loja Demo</a></strong>{nav}
<form action="/demo/search"><input name="q" placeholder="Search products" aria-label="Search"></form></header>
<main>{body}</main>
<script src="/widget.js" data-site="{DEMO_SITE_KEY}" async></script>
</body></html>"""
    return HTMLResponse(html)


def _cards(items: list[tuple[str, Product]]) -> str:
    return (
        '<div class="grid">'
        + "".join(
            f'<div class="card"><h3><a href="/demo/{section}/{p.slug}">{escape(p.name)}</a></h3>'
            f'<p>{escape(p.blurb)}</p><p class="price">{escape(p.price)}</p></div>'
            for section, p in items
        )
        + "</div>"
    )


@router.get("/")
async def home() -> HTMLResponse:
    featured = [(section, products[0]) for section, (_, products) in SECTIONS.items()]
    return _layout(
        "Home",
        "<h1>Welcome to the demo shop</h1><p>Browse a little: someone may say hello.</p>" + _cards(featured),
    )


@router.get("/search")
async def search_page(q: str = "") -> HTMLResponse:
    found = search(q)
    body = f"<h1>Search: {escape(q)}</h1>" + (_cards(found) if found else "<p>Nothing found.</p>")
    return _layout(f"Search {q}", body)


@router.get("/{section}/")
async def section_page(section: PathKey) -> HTMLResponse:
    if section not in SECTIONS:
        raise NotFound("No such section.")
    name, products = SECTIONS[section]
    return _layout(name, f"<h1>{escape(name)}</h1>" + _cards([(section, p) for p in products]))


@router.get("/{section}/{slug}")
async def product_page(section: PathKey, slug: PathKey) -> HTMLResponse:
    product = find(section, slug)
    if product is None:
        raise NotFound("No such product.")
    body = (
        f"<h1>{escape(product.name)}</h1><p>{escape(product.blurb)}</p>"
        f'<p class="price">{escape(product.price)}</p><button type="button">Add to cart</button>'
    )
    return _layout(product.name, body)
