"""An operator's own alert settings: read and replace (the caller's row only, in the caller's account)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.alerts.schemas import AlertSettingsIn, AlertSettingsOut
from services.chat.alerts.tables import operator_alerts
from services.common.db import upsert_insert, utcnow
from services.common.errors import Forbidden
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


def _user_id(caller: Identity) -> str:
    if caller.kind != "user" or not caller.user_id:
        raise Forbidden("operators only")
    return caller.user_id


def _sms_available(runtime: ServiceRuntime) -> bool:
    s = runtime.settings
    return bool(s.sms_api_url and s.sms_account_sid and s.sms_auth_token and s.sms_from)


async def _row(conn: AsyncConnection, account_id: str, user_id: str) -> AlertSettingsIn | None:
    query = select(operator_alerts.c.sms_enabled, operator_alerts.c.phone).where(
        operator_alerts.c.account_id == account_id, operator_alerts.c.user_id == user_id
    )
    row = (await conn.execute(query)).mappings().first()
    return AlertSettingsIn.model_construct(sms_enabled=bool(row["sms_enabled"]), phone=row["phone"]) if row else None


async def mine(runtime: ServiceRuntime, caller: Identity) -> AlertSettingsOut:
    user_id = _user_id(caller)
    async with runtime.db.reading() as conn:
        row = await _row(conn, caller.account_id, user_id)
    return AlertSettingsOut(
        sms_enabled=bool(row and row.sms_enabled),
        phone=row.phone if row else None,
        sms_available=_sms_available(runtime),
    )


async def replace_mine(runtime: ServiceRuntime, caller: Identity, body: AlertSettingsIn) -> AlertSettingsOut:
    user_id = _user_id(caller)
    values = {"sms_enabled": body.sms_enabled, "phone": body.phone, "updated_at": utcnow()}
    async with runtime.db.transaction() as conn:
        insert = upsert_insert(conn, operator_alerts).values(account_id=caller.account_id, user_id=user_id, **values)
        await conn.execute(insert.on_conflict_do_update(index_elements=["account_id", "user_id"], set_=values))
    return AlertSettingsOut(sms_enabled=body.sms_enabled, phone=body.phone, sms_available=_sms_available(runtime))
