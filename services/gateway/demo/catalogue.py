"""The demo shop's catalogue: a few sections with products, enough to wander around."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    price: str
    blurb: str


SECTIONS: dict[str, tuple[str, list[Product]]] = {
    "informatica": (
        "Informática (IT)",
        [
            Product("laptop-pro-14", "Laptop Pro 14", "R$ 7.499", "14-inch, 16 GB RAM, 1 TB SSD."),
            Product("monitor-27-4k", "Monitor 27'' 4K", "R$ 2.199", "IPS panel, USB-C with 90 W charging."),
            Product("mesh-router-ax", "Mesh Router AX3000", "R$ 899", "Wi-Fi 6 for the whole house."),
        ],
    ),
    "tv": (
        "TV & Video",
        [
            Product("oled-55", "OLED TV 55''", "R$ 5.999", "Perfect blacks, 120 Hz, four HDMI 2.1."),
            Product("soundbar-300", "Soundbar 300", "R$ 1.299", "Dolby Atmos in a compact bar."),
        ],
    ),
    "casa": (
        "Home",
        [
            Product("espresso-one", "Espresso One", "R$ 1.099", "15 bar, milk frother included."),
            Product("robot-vacuum-s", "Robot Vacuum S", "R$ 1.799", "Maps your home, empties itself."),
        ],
    ),
}


def find(section: str, slug: str) -> Product | None:
    _, products = SECTIONS.get(section, ("", []))
    return next((p for p in products if p.slug == slug), None)


def search(words: str) -> list[tuple[str, Product]]:
    terms = [w for w in words.lower().split() if w]
    return [
        (section, p)
        for section, (_, products) in SECTIONS.items()
        for p in products
        if terms and all(t in f"{p.name} {p.blurb}".lower() for t in terms)
    ]
