"""The operator's alert settings on the wire (`/api/v1/me/alerts`)."""

from pydantic import BaseModel, Field, StrictBool, model_validator

E164 = r"^\+[1-9][0-9]{7,14}$"


class AlertSettingsIn(BaseModel):
    sms_enabled: StrictBool = Field(
        description="Send an SMS to `phone` when a visitor starts a chat while you are online."
    )
    phone: str | None = Field(
        None, pattern=E164, max_length=16, description="E.164: `+` and 8 to 15 digits, e.g. `+4915112345678`."
    )

    @model_validator(mode="after")
    def phone_when_enabled(self) -> "AlertSettingsIn":
        if self.sms_enabled and not self.phone:
            raise ValueError("phone is required when sms_enabled is true")
        return self


class AlertSettingsOut(BaseModel):
    sms_enabled: bool
    phone: str | None
    sms_available: bool = Field(description="Whether this installation has an SMS provider configured.")
