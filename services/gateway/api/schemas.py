"""Request and response bodies of the gateway's own API."""

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StrictBool, field_validator

from services.gateway.site_addresses import MAX_DOMAIN_LENGTH, MAX_ORIGIN_LENGTH, normalize_domain, normalize_origin
from services.gateway.site_language import (
    DEFAULT_LANGUAGE,
    LANGUAGE_DESCRIPTION,
    LAUNCHER_TITLES,
    MAX_LANG_TAG,
    SiteLanguage,
    WidgetLanguage,
)

Role = Literal["operator", "supervisor", "admin"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)
    account_id: str | None = None


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)
    account_id: str | None = None


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    account_id: str
    photo_url: str | None = Field(
        default=None, description="Their photo (EMB-3): a path on the gateway, loaded without a token; null: none."
    )


class AccountMembership(BaseModel):
    id: str
    name: str
    role: Role


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut
    accounts: list[AccountMembership]


class CreateAccount(Strict):
    name: str = Field(min_length=1, max_length=200)
    admin_email: EmailStr
    admin_password: str = Field(min_length=8, max_length=200)
    admin_name: str = Field(min_length=1, max_length=200)


class AccountOut(BaseModel):
    id: str
    name: str


class CreateUser(Strict):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    role: Role = "operator"


class InvitationOut(BaseModel):
    """An invitation to join the account, as its admins see it (the answer of `POST /users`, whoever the e-mail
    belongs to). The person's name and id are not shown before they accept."""

    id: str
    email: str
    role: Role
    state: Literal["pending", "accepted", "declined", "withdrawn"]
    created_at: datetime
    expires_at: datetime


class UserList(BaseModel):
    users: list[UserOut]
    invitations: list[InvitationOut] = Field(default_factory=list, description="Pending invitations.")


class UpdateMember(Strict):
    role: Role


class ReceivedInvitation(BaseModel):
    """An invitation addressed to the logged-in person: accept it to join that account."""

    id: str
    account_id: str
    account_name: str
    role: Role
    invited_by: str | None = Field(default=None, description="The inviting admin's name.")
    created_at: datetime
    expires_at: datetime


class ReceivedInvitationList(BaseModel):
    invitations: list[ReceivedInvitation]


class LogoutRequest(Strict):
    refresh_token: str | None = Field(
        default=None, min_length=10, max_length=200, description="Without it, the access token's session ends."
    )


class ChangePassword(Strict):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


AuditEntity = Literal["site", "membership", "invitation", "user", "account"]


class AuditEntry(BaseModel):
    id: str
    occurred_at: datetime
    actor_type: Literal["user", "system", "installation"]
    actor_id: str | None
    actor_name: str | None
    action: str = Field(description="e.g. site.updated, site.secret_rotated, membership.role_changed")
    entity_type: AuditEntity
    entity_id: str
    before: dict[str, Any] | None = Field(description="The changed fields before (never a secret).")
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before: str | None = Field(description="Pass as `before` for the next (older) page; null on the last.")


class WidgetLook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: str = Field(default="#2563eb", pattern=r"^#[0-9a-fA-F]{6}$", description="The primary colour, #rrggbb.")
    text_color: str = Field(
        default="#ffffff", pattern=r"^#[0-9a-fA-F]{6}$", description="Text on the primary colour, #rrggbb (EMB-3)."
    )
    position: Literal["right", "left"] = "right"
    launcher: Literal["button", "bar"] = Field(
        default="button", description="A round button in the corner, or a bar along the bottom edge (EMB-3)."
    )
    logo_url: str | None = Field(
        default=None,
        max_length=500,
        # https anywhere, or a path on the gateway's own origin ("/console/floorwalker-logo.svg"); never another
        # scheme (javascript:, data:, http:) nor a scheme-relative "//host" (`clients/widget/src/chat/look.ts`)
        pattern=r"^(https://[^\s\\\"'<>()]+|/([^/\s\\\"'<>()][^\s\\\"'<>()]*)?)$",
        description="A logo shown in the chat's header (EMB-3): an https URL, or a path on the gateway's own origin.",
    )
    show_operator_photo: bool = Field(default=False, description="The header shows the operator's photo (EMB-3).")
    title: str = Field(default="Chat with us", max_length=80)
    greeting: str = Field(default="Hello! How can we help you?", max_length=500)
    sound: bool = True
    button_sections: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list,
        max_length=100,
        description="Passive mode of an account without queues: the section names or URL prefixes (`/...`) where "
        "the chat button shows (empty: everywhere). With queues, their `sections` decide.",
    )


class SitePrivacy(BaseModel):
    """What the site promises its visitors (TRK-1, TRK-10)."""

    model_config = ConfigDict(extra="forbid")
    identity_verification: bool = Field(
        default=False, description="Refuse `identify` calls without a valid HMAC signature made with the site secret."
    )
    consent_required: bool = Field(default=False, description="Track nothing until the page grants consent.")
    honor_dnt: bool = Field(default=False, description="Track nothing for browsers that send Do-Not-Track.")
    sneak_peek: StrictBool = Field(
        default=True,
        description="Operators see what the visitor types before it is sent (CHAT-4). Off: the widget sends only "
        "that the visitor is typing, and the gateway drops any draft text.",
    )


class SiteBlocking(BaseModel):
    """Who the edge answers with 403 `blocked` before any work is done (TRK-8)."""

    model_config = ConfigDict(extra="forbid")
    robots: bool = Field(default=False, description="Block known crawlers and headless browsers outright.")
    ips: list[str] = Field(default_factory=list, max_length=1000, description="Addresses or CIDR ranges.")
    countries: list[str] = Field(default_factory=list, max_length=250, description="ISO 3166-1 alpha-2 codes.")
    user_agents: list[str] = Field(
        default_factory=list, max_length=200, description="Case-insensitive substrings of the User-Agent."
    )

    @field_validator("ips")
    @classmethod
    def addresses_or_ranges(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            try:
                out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
            except ValueError as exc:
                raise ValueError(f"{value!r} is not an IP address or CIDR range") from exc
        return out

    @field_validator("countries")
    @classmethod
    def country_codes(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[A-Za-z]{2}", value):
                raise ValueError(f"{value!r} is not a two-letter country code")
        return [v.upper() for v in values]

    @field_validator("user_agents")
    @classmethod
    def substrings(cls, values: list[str]) -> list[str]:
        if any(not 3 <= len(v.strip()) <= 200 for v in values):
            raise ValueError("user agent patterns have 3 to 200 characters")
        return [v.strip().lower() for v in values]


MAX_SITE_ORIGINS = MAX_SITE_DOMAINS = 50
Origin = Annotated[
    str,
    Field(max_length=MAX_ORIGIN_LENGTH, description="scheme://host[:port], no path", examples=["https://shop.example"]),
    AfterValidator(normalize_origin),
]
Domain = Annotated[
    str,
    Field(max_length=MAX_DOMAIN_LENGTH, description="A host name or IP address", examples=["shop.example"]),
    AfterValidator(normalize_domain),
]


class CreateSite(Strict):
    name: str = Field(min_length=1, max_length=200)
    domains: list[Domain] = Field(default_factory=list, max_length=MAX_SITE_DOMAINS)
    allowed_origins: list[Origin] = Field(min_length=1, max_length=MAX_SITE_ORIGINS)
    widget: WidgetLook = Field(default_factory=WidgetLook)
    privacy: SitePrivacy = Field(default_factory=SitePrivacy)
    blocking: SiteBlocking = Field(default_factory=SiteBlocking)
    language: SiteLanguage = Field(default=DEFAULT_LANGUAGE, description=LANGUAGE_DESCRIPTION)


class UpdateSite(Strict):
    """Only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    domains: list[Domain] | None = Field(default=None, max_length=MAX_SITE_DOMAINS)
    allowed_origins: list[Origin] | None = Field(default=None, min_length=1, max_length=MAX_SITE_ORIGINS)
    widget: WidgetLook | None = None
    privacy: SitePrivacy | None = None
    blocking: SiteBlocking | None = None
    language: SiteLanguage | None = Field(default=None, description=LANGUAGE_DESCRIPTION)


class SiteOut(BaseModel):
    id: str
    account_id: str
    name: str
    site_key: str
    domains: list[str]
    allowed_origins: list[str]
    widget: WidgetLook
    privacy: SitePrivacy
    blocking: SiteBlocking
    language: SiteLanguage = Field(default=DEFAULT_LANGUAGE, description=LANGUAGE_DESCRIPTION)
    embed_snippet: str = Field(description="The tag to paste into every page of the site, before `</body>`.")
    secret: str | None = Field(
        default=None,
        description="Signs `identify` calls (HMAC-SHA256). Only in the answers to `POST /sites` and to the "
        "rotation (`POST /sites/{site_id}/secret`); null everywhere else.",
    )


class SiteList(BaseModel):
    sites: list[SiteOut]


class SiteOriginIn(Strict):
    origin: Origin


class SiteDomainIn(Strict):
    domain: Domain


class WidgetSessionRequest(Strict):
    site_key: str = Field(min_length=1, max_length=64)
    visitor_token: str | None = Field(default=None, max_length=2000)
    lang: str | None = Field(
        default=None, max_length=MAX_LANG_TAG, description="The page's `<html lang>`: the widget's language (EMB-11)."
    )


class PublicSite(BaseModel):
    id: str
    name: str
    widget: WidgetLook
    language: WidgetLanguage = Field(
        default="en",
        description="The language the widget speaks to this visitor (EMB-11): the site's setting, else the page's "
        "`lang` sent with the session request, else the browser's Accept-Language, else English.",
    )
    launcher_title: str = Field(default=LAUNCHER_TITLES["en"], description="The launcher's default title in it.")
    sneak_peek: bool = Field(
        default=True, description="The widget sends the visitor's draft with its typing signals (`privacy.sneak_peek`)."
    )


class TrackingPolicy(BaseModel):
    enabled: bool
    consent_required: bool
    consent: bool
    honor_dnt: bool


class WidgetSession(BaseModel):
    visitor_token: str
    visitor_id: str
    expires_in: int
    site: PublicSite
    tracking: TrackingPolicy
    robot: bool = Field(description="The visitor looks like a robot: no chat is offered.")
    button_paths: list[str] | None = Field(
        default=None,
        description="Passive mode: regular expressions of `location.pathname` where the chat button shows "
        "(null: everywhere; `services/gateway/passive.py`).",
    )


class IdentifyRequest(Strict):
    user_id: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    signature: str | None = Field(default=None, max_length=128, description="Hex HMAC-SHA256 of user_id, site secret.")


class ConsentRequest(Strict):
    granted: bool


class ConsentOut(BaseModel):
    consent: bool
    visitor_token: str = Field(description="Keep this token: it carries the consent.")


class IdentifyOut(BaseModel):
    contact_id: str
    verified: bool
