"""HTTP endpoints of who is in a conversation: transfer, invite, leave (CHAT-6), watch and join (OPS-7), and the
group conversations the gateway starts (CHAT-7)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.chat import group, participants, transfers
from services.chat.api.participant_schemas import Invite, StartGroup, Transfer
from services.chat.api.routes import Frames
from services.chat.api.schemas import ConversationOut
from services.common.identity import Operator, RoleRequired
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
internal = APIRouter(prefix="/internal/v1/group-conversations", include_in_schema=False)
Manager = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]


@router.post("/{conversation_id}/transfer", response_model=ConversationOut)
async def transfer_conversation(
    conversation_id: PathKey, body: Transfer, caller: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Hand the conversation to another operator (theirs at once) or a queue (waiting there, routed), with a note
    for them; the visitor is told they are being connected. 404 `operator_not_found` / `queue_not_found`, 409
    `operator_unavailable` (not online), `at_capacity`; 422 without exactly one target."""
    return await transfers.transfer(runtime, frames, caller, conversation_id, body)


@router.post("/{conversation_id}/participants", response_model=ConversationOut)
async def invite_participant(
    conversation_id: PathKey, body: Invite, caller: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Invite another operator (online) into the conversation: they see everything and write. The caller is in it
    (assigned or invited) or a supervisor or admin."""
    return await participants.invite(runtime, frames, caller, conversation_id, body)


@router.delete("/{conversation_id}/participants/{user_id}", response_model=ConversationOut)
async def remove_participant(
    conversation_id: PathKey, user_id: PathKey, caller: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """A participant leaves (their own id), or the assigned operator or a manager removes one."""
    return await participants.remove(runtime, frames, caller, conversation_id, user_id)


@router.post("/{conversation_id}/watch", response_model=ConversationOut)
async def watch_conversation(
    conversation_id: PathKey, manager: Manager, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Supervisors and admins: receive the conversation's frames silently (the visitor is not told)."""
    return await participants.watch(runtime, frames, manager, conversation_id)


@router.delete("/{conversation_id}/watch", response_model=ConversationOut)
async def unwatch_conversation(
    conversation_id: PathKey, manager: Manager, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Stop watching it."""
    return await participants.unwatch(runtime, frames, manager, conversation_id)


@router.post("/{conversation_id}/join", response_model=ConversationOut)
async def join_conversation(
    conversation_id: PathKey, manager: Manager, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """Supervisors and admins: join the conversation as a participant who writes."""
    return await participants.join(runtime, frames, manager, conversation_id)


@internal.post("", response_model=ConversationOut, status_code=201)
async def start_group_conversation(
    body: StartGroup, operator: Operator, runtime: Runtime, frames: Frames
) -> ConversationOut:
    """The gateway checked the visitors are the account's: one conversation with all of them, the caller's."""
    return await group.start_group(runtime, frames, operator, body.visitors, body.text)
