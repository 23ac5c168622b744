"""`/api/v1/me/alerts`: the caller's own alert settings (OPS-5)."""

from fastapi import APIRouter

from services.chat.alerts import preferences
from services.chat.alerts.schemas import AlertSettingsIn, AlertSettingsOut
from services.common.identity import Operator
from services.common.service import Runtime

router = APIRouter(tags=["operator alerts"])


@router.get("/api/v1/me/alerts", response_model=AlertSettingsOut)
async def my_alerts(caller: Operator, runtime: Runtime) -> AlertSettingsOut:
    """The caller's alert settings: SMS on a new chat (while online), and whether SMS is available here."""
    return await preferences.mine(runtime, caller)


@router.put("/api/v1/me/alerts", response_model=AlertSettingsOut)
async def set_my_alerts(body: AlertSettingsIn, caller: Operator, runtime: Runtime) -> AlertSettingsOut:
    """Replace the caller's alert settings (422 for a phone number not in E.164 form, or SMS on without one)."""
    return await preferences.replace_mine(runtime, caller, body)
