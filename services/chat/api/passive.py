"""Chat's internal route of passive mode (ENG-1): the queues' sections, for the gateway's widget session."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.chat.passive import queue_sections
from services.common.identity import Visitor
from services.common.service import Runtime

internal = APIRouter(prefix="/internal/v1/queues", include_in_schema=False)


class QueueSections(BaseModel):
    queues: list[list[str]] = Field(description="Each queue's sections (names or URL prefixes); [] everywhere.")


@internal.get("/sections", response_model=QueueSections)
async def sections_of_queues(visitor: Visitor, runtime: Runtime) -> QueueSections:
    """Where the visitor's account's queues want their chat button (the gateway asks, for the widget session)."""
    return QueueSections(queues=await queue_sections(runtime, visitor))
