"""Response bodies of the rules API."""

from pydantic import BaseModel


class VisitorStats(BaseModel):
    visitor_id: str
    pageviews: int
    last_url: str | None
