"""SMS providers (OPS-5). One interface, `SmsProvider.send`, and one real implementation over HTTP in the shape of
Twilio's Messages API: `POST {SMS_API_URL}/Accounts/{SMS_ACCOUNT_SID}/Messages.json`, form-encoded `To`, `From`
and `Body`, HTTP basic auth with the account SID and auth token; a 2xx answer (201 Created) with a JSON body
carrying the message `sid` means accepted. Any other answer or a network failure is an `SmsError`."""

import logging
from typing import Protocol

import httpx

from services.common.settings import Settings

log = logging.getLogger("floorwalker.chat.sms")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}  # a local relay or the tests' fake provider may speak plain HTTP


class SmsError(Exception):
    """The provider did not accept the message (an error answer, a timeout, no connection)."""

    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class SmsProvider(Protocol):
    async def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; returns the provider's message id, or raises SmsError."""
        ...


class MessagesApiProvider:
    """Twilio-style Messages API over HTTPS (any provider speaking it, or a local fake in the tests)."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, timeout: float = 5.0) -> None:
        self.url = f"{base_url.rstrip('/')}/Accounts/{account_sid}/Messages.json"
        self.auth = httpx.BasicAuth(account_sid, auth_token)
        self.sender = sender
        self.timeout = timeout

    async def send(self, to: str, body: str) -> str:
        form = {"To": to, "From": self.sender, "Body": body}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                answer = await client.post(self.url, data=form, auth=self.auth, headers={"accept": "application/json"})
        except httpx.HTTPError as failure:
            raise SmsError(f"no answer: {type(failure).__name__}") from failure
        if answer.status_code // 100 != 2:
            # 4xx (bad number, bad credentials) will not pass by trying again; 429 and 5xx may.
            retryable = answer.status_code == 429 or answer.status_code >= 500
            raise SmsError(f"provider answered {answer.status_code}", retryable=retryable)
        try:
            sid = answer.json().get("sid")
        except ValueError:
            sid = None
        return str(sid or "")


def provider_from_settings(settings: Settings) -> SmsProvider | None:
    """The configured provider, or None (no SMS) when any of SMS_API_URL, _ACCOUNT_SID, _AUTH_TOKEN, _FROM is empty."""
    if not (settings.sms_api_url and settings.sms_account_sid and settings.sms_auth_token and settings.sms_from):
        return None
    url = httpx.URL(settings.sms_api_url)
    if url.scheme != "https" and not (url.scheme == "http" and url.host in LOOPBACK):
        log.warning("SMS_API_URL must be https (http only to this machine): no SMS is sent")
        return None
    return MessagesApiProvider(
        settings.sms_api_url,
        settings.sms_account_sid,
        settings.sms_auth_token,
        settings.sms_from,
        settings.sms_timeout_seconds,
    )
