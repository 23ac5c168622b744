"""HTTP endpoints of the chat service (reached through the gateway under /api/v1/conversations)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.chat import conversations as convs
from services.chat import message_edits
from services.chat.api.schemas import (
    ConversationList,
    ConversationOut,
    ConversationState,
    MessageList,
    MessageOut,
    PostMessage,
    StartConversation,
    VisitorConversations,
)
from services.chat.realtime import PendingFrames
from services.chat.routing.decline import decline
from services.common.identity import Admin, AnyCaller, Operator, Visitor
from services.common.service import Runtime
from services.common.validation import PathKey, QueryKey, SeqNumber

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


async def pending_frames(request: Request) -> PendingFrames:
    frames: PendingFrames = request.app.state.frames
    return frames


Frames = Annotated[PendingFrames, Depends(pending_frames)]


@router.post(
    "",
    response_model=ConversationOut,
    status_code=201,
    responses={200: {"model": ConversationOut, "description": "The visitor's open conversation, which exists."}},
)
async def start_conversation(
    body: StartConversation, visitor: Visitor, runtime: Runtime, frames: Frames, response: Response
) -> ConversationOut:
    """Open the visitor's conversation, optionally with a first message; returns the open one if it exists (waiting in
    a queue: with its `position` and `expected_wait_seconds`)."""
    conversation, created = await convs.start(
        runtime, frames, visitor, body.text, body.client_msg_id, body.queue_id, body.language
    )
    if not created:
        response.status_code = 200
    return conversation


@router.get("/current", response_model=ConversationOut)
async def current_conversation(visitor: Visitor, runtime: Runtime) -> ConversationOut:
    """The calling visitor's open conversation; waiting in a queue, with its `position` and `expected_wait_seconds`."""
    return await convs.current(runtime, visitor)


@router.get("", response_model=ConversationList)
async def list_conversations(
    operator: Operator,
    runtime: Runtime,
    state: ConversationState = "waiting",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> ConversationList:
    """Conversations of the account in one state; waiting ones longest-waiting first."""
    return ConversationList(conversations=await convs.list_in_state(runtime, operator, state, limit))


@router.get("/export", response_model=VisitorConversations)
async def export_conversations(admin: Admin, runtime: Runtime, visitor_id: QueryKey) -> VisitorConversations:
    """Admins: every conversation of a visitor in the account, each with all its messages (data protection).

    Declared before `/{conversation_id}`, which would otherwise take the path.
    """
    exported = await convs.export_of_visitor(runtime, admin, visitor_id)
    return VisitorConversations(visitor_id=visitor_id, conversations=exported)


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(conversation_id: PathKey, caller: AnyCaller, runtime: Runtime) -> ConversationOut:
    return await convs.get(runtime, caller, conversation_id)


@router.post("/{conversation_id}/accept", response_model=ConversationOut)
async def accept_conversation(
    conversation_id: PathKey, operator: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Take a waiting conversation: it becomes active and assigned to the caller. One offered to another operator
    is 409 `offered_to_another` (supervisors and admins may take it); a routed one beyond the caller's capacity
    is 409 `at_capacity`."""
    return await convs.accept(runtime, frames, operator, conversation_id)


@router.post("/{conversation_id}/decline", response_model=ConversationOut)
async def decline_conversation(
    conversation_id: PathKey, operator: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """The operator it is offered to declines it: it is offered to the next operator at once (never to the caller
    again). Not offered to the caller, or not waiting: 409 `not_offered_to_you` / `conversation_not_waiting`."""
    return await decline(runtime, frames, operator, conversation_id)


@router.post("/{conversation_id}/close", response_model=ConversationOut)
async def close_conversation(
    conversation_id: PathKey, caller: AnyCaller, runtime: Runtime, frames: Frames
) -> ConversationOut:
    return await convs.close(runtime, frames, caller, conversation_id)


@router.post(
    "/{conversation_id}/messages",
    response_model=MessageOut,
    status_code=201,
    responses={200: {"model": MessageOut, "description": "A retry: the message stored with this client_msg_id."}},
)
async def post_message(
    conversation_id: PathKey, body: PostMessage, caller: AnyCaller, runtime: Runtime, frames: Frames
) -> Response:
    """Store a message once; a retry with the same client_msg_id returns the stored message (200, and its
    realtime frame is published again). A stored message is always answered as stored."""
    posted = await convs.post(
        runtime, frames, caller, conversation_id, body.client_msg_id, body.text, quote_seq=body.quote_seq
    )
    # Serialized here, once: FastAPI would validate the model again against the response model first.
    return Response(
        posted.message.model_dump_json(), status_code=201 if posted.created else 200, media_type="application/json"
    )


@router.get("/{conversation_id}/messages", response_model=MessageList)
async def list_messages(
    conversation_id: PathKey,
    caller: AnyCaller,
    runtime: Runtime,
    after_seq: SeqNumber = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    changes: Annotated[bool, Query(description="Also the messages up to after_seq edited or retracted.")] = False,
) -> MessageList:
    """Messages after a sequence number, in order: what a reconnecting client missed (with `changes`, in `changed`
    also the earlier messages edited or retracted: CHAT-5)."""
    found = await convs.history(runtime, caller, conversation_id, after_seq, limit)
    changed = await message_edits.changed_up_to(runtime, conversation_id, after_seq) if changes else []
    return MessageList(messages=found, changed=changed)
