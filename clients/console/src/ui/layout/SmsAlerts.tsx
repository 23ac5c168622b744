import { useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import { E164, myAlerts, setMyAlerts, type AlertSettings } from "../../api/alerts";
import { errorText } from "../../lib/admin";

/** The operator's SMS alert (OPS-5): a text to their phone when a visitor starts a chat while they are online. */
export function SmsAlerts({ api, onClose }: { api: ApiClient; onClose: () => void }) {
  const [saved, setSaved] = useState<AlertSettings | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [phone, setPhone] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    myAlerts(api).then(
      (found) => {
        setSaved(found);
        setEnabled(found.sms_enabled);
        setPhone(found.phone ?? "");
      },
      (failure: unknown) => setError(errorText(failure)),
    );
  }, [api]);
  const number = phone.replace(/[\s()-]/g, "");
  const valid = !number || E164.test(number);
  const save = async () => {
    setError(null);
    try {
      setSaved(await setMyAlerts(api, enabled, number || null));
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  return (
    <div className="shortcut-help" role="dialog" aria-label="SMS alerts" data-fw="sms-alerts">
      <form
        className="shortcut-card"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <header>
          <h2>SMS when a chat starts</h2>
          <button type="button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        {saved && !saved.sms_available && <p className="muted">This installation has no SMS provider set up.</p>}
        <label>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Text me while I
          am online
        </label>
        <label>
          Phone (international, e.g. +4915112345678){" "}
          <input
            data-fw="sms-phone"
            type="tel"
            value={phone}
            maxLength={24}
            aria-invalid={!valid}
            onChange={(e) => setPhone(e.target.value)}
          />
        </label>
        {!valid && <p className="field-error">Start with + and the country code, digits only.</p>}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" data-fw="sms-save" disabled={!valid || (enabled && !number)}>
          Save
        </button>
        {saved && <span className="muted"> {saved.sms_enabled ? `On: ${saved.phone}` : "Off"}</span>}
      </form>
    </div>
  );
}
