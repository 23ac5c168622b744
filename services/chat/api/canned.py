"""Canned responses (`/api/v1/canned-responses`, OPS-3) and support materials (`/api/v1/materials`, OPS-4)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.chat import canned, materials
from services.chat.api.canned_schemas import CannedIn, CannedList, CannedOut, MaterialIn, MaterialList, MaterialOut
from services.common.identity import Operator, RoleRequired
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey, QueryKey

Supervisor = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]
Search = Annotated[str | None, Query(max_length=100, description="Case-insensitive words to find (empty: all).")]
Every = Annotated[bool, Query(alias="all", description="Every scope (the admin screens); queue_id is ignored.")]
Campaign = Annotated[str | None, Query(max_length=100, description="Empty or omitted: any campaign.")]
router = APIRouter(tags=["canned responses and materials"])


@router.get("/api/v1/canned-responses", response_model=CannedList)
async def list_canned(
    caller: Operator, runtime: Runtime, q: Search = None, queue_id: QueryKey | None = None, every: Every = False
) -> CannedList:
    """The account-wide canned responses and those of `queue_id` (the queue's first), filtered by `q` in shortcut,
    title or text."""
    return CannedList(canned_responses=await canned.list_canned(runtime, caller, queue_id, q, every))


@router.post("/api/v1/canned-responses", response_model=CannedOut, status_code=201)
async def create_canned(body: CannedIn, caller: Supervisor, runtime: Runtime) -> CannedOut:
    """Supervisors and admins: a new canned response (409 `shortcut_taken` when its scope has the shortcut)."""
    return await canned.create_canned(runtime, caller, body)


@router.put("/api/v1/canned-responses/{canned_id}", response_model=CannedOut)
async def replace_canned(canned_id: PathKey, body: CannedIn, caller: Supervisor, runtime: Runtime) -> CannedOut:
    """Supervisors and admins: replace the canned response."""
    return await canned.replace_canned(runtime, caller, canned_id, body)


@router.delete("/api/v1/canned-responses/{canned_id}", status_code=204)
async def delete_canned(canned_id: PathKey, caller: Supervisor, runtime: Runtime) -> Response:
    """Supervisors and admins: delete the canned response."""
    await canned.delete_canned(runtime, caller, canned_id)
    return Response(status_code=204)


@router.get("/api/v1/materials", response_model=MaterialList)
async def list_materials(
    caller: Operator,
    runtime: Runtime,
    queue_id: QueryKey | None = None,
    campaign: Campaign = None,
    every: Every = False,
) -> MaterialList:
    """The account-wide support materials and those of `queue_id`; with `campaign`, those of no campaign or it."""
    return MaterialList(materials=await materials.list_materials(runtime, caller, queue_id, campaign or None, every))


@router.post("/api/v1/materials", response_model=MaterialOut, status_code=201)
async def create_material(body: MaterialIn, caller: Supervisor, runtime: Runtime) -> MaterialOut:
    """Supervisors and admins: a new support material (a link, a script, or a document)."""
    return await materials.create_material(runtime, caller, body)


@router.put("/api/v1/materials/{material_id}", response_model=MaterialOut)
async def replace_material(material_id: PathKey, body: MaterialIn, caller: Supervisor, runtime: Runtime) -> MaterialOut:
    """Supervisors and admins: replace the material."""
    return await materials.replace_material(runtime, caller, material_id, body)


@router.delete("/api/v1/materials/{material_id}", status_code=204)
async def delete_material(material_id: PathKey, caller: Supervisor, runtime: Runtime) -> Response:
    """Supervisors and admins: delete the material."""
    await materials.delete_material(runtime, caller, material_id)
    return Response(status_code=204)
