import { useEffect, useState, type FormEvent } from "react";
import { ApiError, type ApiClient } from "../../api/client";
import { saveTrackingSettings, trackingSettings } from "../../api/endpoints";
import {
  formFromSettings,
  serverErrors,
  settingsFromForm,
  unplacedErrors,
  validateForm,
  type FieldErrors,
  type SettingsForm,
} from "../../lib/settings";
import type { Role } from "../../types";
import { useSites } from "../hooks";
import { SettingsFields } from "./SettingsForm";

interface Props {
  api: ApiClient;
  /** Admins edit; operators and supervisors only read. */
  role: Role | undefined;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : "Something went wrong.");

/** A site's tracking settings: sections, product and search patterns, retention. */
export function TrackingSettings({ api, role }: Props) {
  const readOnly = role !== "admin";
  const [settingsError, setLoadError] = useState<string | null>(null);
  const { sites, siteId, setSiteId, sitesError } = useSites(api, describe);
  const loadError = sitesError ?? settingsError;
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [status, setStatus] = useState<"idle" | "saving" | "saved">("idle");

  useEffect(() => {
    if (!siteId) return;
    let current = true;
    setForm(null);
    setErrors({});
    setGeneral([]);
    setStatus("idle");
    setLoadError(null);
    trackingSettings(api, siteId).then(
      (settings) => current && setForm(formFromSettings(settings)),
      (error: unknown) => current && setLoadError(`Could not load the settings: ${describe(error)}`),
    );
    return () => {
      current = false;
    };
  }, [api, siteId]);

  const change = (next: SettingsForm) => {
    setForm(next);
    setStatus("idle");
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form || readOnly) return;
    const found = validateForm(form);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setGeneral(["Some fields need fixing."]);
      return;
    }
    setGeneral([]);
    setStatus("saving");
    try {
      const saved = await saveTrackingSettings(api, siteId, settingsFromForm(form));
      if (saved && typeof saved === "object" && Array.isArray(saved.sections)) setForm(formFromSettings(saved));
      setStatus("saved");
    } catch (error) {
      setStatus("idle");
      if (error instanceof ApiError && error.status === 422) {
        const { fields, general: other } = serverErrors(error.details);
        setErrors(fields);
        setGeneral([error.message, ...other]);
      } else if (error instanceof ApiError && error.status === 403) {
        setGeneral(["Only an admin can change the tracking settings."]);
      } else {
        setGeneral([`Could not save: ${describe(error)}`]);
      }
    }
  };

  const messages = form ? [...general, ...unplacedErrors(errors, form)] : general;
  return (
    <main className="settings" data-fw="tracking-settings" aria-label="Tracking settings">
      <header className="settings-header">
        <h1>Tracking settings</h1>
        {sites && sites.length > 0 && (
          <label>
            Site{" "}
            <select data-fw="settings-site" value={siteId} onChange={(e) => setSiteId(e.target.value)}>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      {readOnly && (
        <p className="muted" data-fw="settings-readonly">
          Only an admin can change these settings.
        </p>
      )}
      {loadError && (
        <p className="error" role="alert" data-fw="settings-load-error">
          {loadError}
        </p>
      )}
      {sites && sites.length === 0 && <p className="empty">This account has no sites yet.</p>}
      {siteId && !form && !loadError && <p className="muted">Loading…</p>}
      {form && (
        <form onSubmit={save} noValidate data-fw="settings-form" data-site-id={siteId}>
          <SettingsFields form={form} errors={errors} readOnly={readOnly} onChange={change} />
          {messages.length > 0 && (
            <ul className="error settings-errors" role="alert" data-fw="settings-error">
              {messages.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          )}
          {!readOnly && (
            <div className="settings-actions">
              <button type="submit" className="primary" data-fw="settings-save" disabled={status === "saving"}>
                {status === "saving" ? "Saving…" : "Save"}
              </button>
              {status === "saved" && (
                <span className="ok" role="status" data-fw="settings-status">
                  Saved.
                </span>
              )}
            </div>
          )}
        </form>
      )}
    </main>
  );
}
