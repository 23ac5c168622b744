"""HTTP endpoints of the rules service (reached through the gateway): invitation rules per site, their live
preview and explanation (`preview.py`), what became of their invitations (`invitation_stats.py`), and the page
views counted per visitor. Operators read rules; supervisors and admins edit, preview and explain them and read
their counts (the listing's `stats=true`). Every edit, once committed, moves the site's rules on to a
new edition, so that every rules replica reads them again before its next evaluation (`books.py`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.common.identity import Operator, RoleRequired, check_role
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey
from services.rules import invitation_stats, preview, rulebook
from services.rules.api.schemas import (
    Explained,
    MoveRule,
    PreviewOut,
    RuleList,
    RuleListing,
    RuleOut,
    RulePatch,
    RuleReplace,
    VisitorStats,
)
from services.rules.engine.actions import RuleDefinition
from services.rules.live import LiveRules
from services.rules.visitor_stats import stats_of

router = APIRouter(prefix="/api/v1", tags=["rules"])
Editor = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]
Live = Annotated[LiveRules, Depends(preview.live_rules)]


@router.get("/rules/visitor-stats/{visitor_id}", response_model=VisitorStats)
async def visitor_stats(visitor_id: PathKey, operator: Operator, runtime: Runtime) -> VisitorStats:
    """Page views the rules have counted for a visitor of the caller's account (from `pageview.recorded`)."""
    return await stats_of(runtime, operator, visitor_id)


@router.get("/sites/{site_id}/rules", response_model=RuleListing)
async def list_rules(
    site_id: PathKey,
    operator: Operator,
    runtime: Runtime,
    stats: Annotated[
        bool,
        Query(
            description="With each rule's counts of shown, accepted, closed, expired and chats started, per "
            "variant (supervisors and admins; 403 for an operator)."
        ),
    ] = False,
) -> RuleListing:
    """A site's invitation rules, in the order they are evaluated; with `stats=true`, what became of their
    invitations."""
    if stats:
        check_role(operator, ("supervisor", "admin"))
    listed = await rulebook.list_rules(runtime, operator, site_id)
    counts = await invitation_stats.rules_stats(runtime, operator, [r.id for r in listed]) if stats else None
    return RuleListing(rules=listed, stats=counts)


@router.post("/sites/{site_id}/rules", response_model=RuleOut, status_code=201)
async def create_rule(site_id: PathKey, body: RuleDefinition, editor: Editor, runtime: Runtime, live: Live) -> RuleOut:
    """A new rule, last in the site's order (supervisors and admins)."""
    made = await rulebook.create_rule(runtime, editor, site_id, body)
    await live.books.edited_rules(made.site_id)
    return made


@router.get("/rules/{rule_id}", response_model=RuleOut)
async def get_rule(rule_id: PathKey, operator: Operator, runtime: Runtime) -> RuleOut:
    return await rulebook.get_rule(runtime, operator, rule_id)


@router.put("/rules/{rule_id}", response_model=RuleOut)
async def replace_rule(rule_id: PathKey, body: RuleReplace, editor: Editor, runtime: Runtime, live: Live) -> RuleOut:
    """A rule's whole new definition; its version goes up by one."""
    saved = await rulebook.replace_rule(runtime, editor, rule_id, body)
    await live.books.edited_rules(saved.site_id)
    return saved


@router.patch("/rules/{rule_id}", response_model=RuleOut)
async def patch_rule(rule_id: PathKey, body: RulePatch, editor: Editor, runtime: Runtime, live: Live) -> RuleOut:
    """Change some of a rule's fields (say `enabled`); the rule as changed must still be valid."""
    saved = await rulebook.patch_rule(runtime, editor, rule_id, body)
    await live.books.edited_rules(saved.site_id)
    return saved


@router.delete("/rules/{rule_id}", status_code=204, response_class=Response)
async def delete_rule(rule_id: PathKey, editor: Editor, runtime: Runtime, live: Live) -> Response:
    """Delete a rule: it never fires again; the site's later rules move up one place."""
    await live.books.edited_rules(await rulebook.delete_rule(runtime, editor, rule_id))
    return Response(status_code=204)


@router.post("/rules/{rule_id}/move", response_model=RuleList)
async def move_rule(rule_id: PathKey, body: MoveRule, editor: Editor, runtime: Runtime, live: Live) -> RuleList:
    """Put a rule at another place in its site's order; answers the site's rules in their new order."""
    moved = await rulebook.move_rule(runtime, editor, rule_id, body.position)
    await live.books.edited_rules(moved[0].site_id)
    return RuleList(rules=moved)


@router.post("/sites/{site_id}/rules/preview", response_model=PreviewOut)
async def preview_rule(
    site_id: PathKey, body: RuleDefinition, editor: Editor, runtime: Runtime, live: Live
) -> PreviewOut:
    """Which of the site's live visitors this rule definition (saved or not) matches now."""
    return await preview.preview(runtime, live, editor, site_id, body)


@router.get("/rules/{rule_id}/explain/{visitor_id}", response_model=Explained)
async def explain_rule(
    rule_id: PathKey, visitor_id: PathKey, editor: Editor, runtime: Runtime, live: Live
) -> Explained:
    """Why a live visitor does or does not match the rule now: its tree with each condition's value."""
    return await preview.explain(runtime, live, editor, rule_id, visitor_id)
