"""A rule's `route_to_queue` for a chat the visitor starts by themselves (ENG-4): when a conversation starts that
no invitation started (`conversation.started` without `invitation_id`) and whose queue the visitor did not pick,
the queue of the rule that fired last for the visitor this visit is asked of chat (`conversation.route_requested`,
straight on the bus); chat moves the chat there while it waits (`services/chat/routing/rule_queue.py`). An accepted
invitation needs none of this: its queue goes with it (`live.invitation_frame`)."""

from services.common.db import utcnow
from services.common.events import ConversationRouteRequested, ConversationStarted
from services.rules.live import LiveRules


async def request_route(live: LiveRules, account_id: str, started: ConversationStarted) -> bool:
    """Ask chat to move the conversation to the rule's queue; False when there is nothing to ask."""
    if started.invitation_id is not None or started.queue_chosen or live.runtime is None:
        return False
    routed = await live.routed_queue(started.visitor_id)
    if routed is None:
        return False
    rule_id, queue_id = routed
    request = ConversationRouteRequested(
        conversation_id=started.conversation_id,
        visitor_id=started.visitor_id,
        queue_id=queue_id,
        rule_id=rule_id,
        at=utcnow(),
    )
    await live.runtime.bus.publish_event(request.to_event(account_id))
    return True
