"""Request and response bodies of the gateway's own API."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl

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


class UserList(BaseModel):
    users: list[UserOut]


class WidgetLook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: str = Field(default="#2563eb", pattern=r"^#[0-9a-fA-F]{6}$")
    position: Literal["right", "left"] = "right"
    title: str = Field(default="Chat with us", max_length=80)
    greeting: str = Field(default="Hello! How can we help you?", max_length=500)
    sound: bool = True


class CreateSite(Strict):
    name: str = Field(min_length=1, max_length=200)
    domains: list[str] = Field(default_factory=list, max_length=50)
    allowed_origins: list[HttpUrl] = Field(min_length=1, max_length=50)
    widget: WidgetLook = Field(default_factory=WidgetLook)


class SiteOut(BaseModel):
    id: str
    account_id: str
    name: str
    site_key: str
    domains: list[str]
    allowed_origins: list[str]
    widget: WidgetLook
    embed_snippet: str


class SiteList(BaseModel):
    sites: list[SiteOut]


class WidgetSessionRequest(Strict):
    site_key: str = Field(min_length=1, max_length=64)
    visitor_token: str | None = Field(default=None, max_length=2000)


class PublicSite(BaseModel):
    id: str
    name: str
    widget: WidgetLook


class WidgetSession(BaseModel):
    visitor_token: str
    visitor_id: str
    expires_in: int
    site: PublicSite
