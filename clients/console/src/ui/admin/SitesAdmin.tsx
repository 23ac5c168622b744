import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import {
  addDomain,
  addOrigin,
  listSiteDetails,
  removeDomain,
  removeOrigin,
  rotateSecret,
  type SiteDetail,
} from "../../api/admin";
import { domainProblem, errorText, originProblem, type CopyEnv } from "../../lib/admin";
import { loadError as loadErrorOf } from "../hooks";
import { CopyButton } from "./CopyButton";
import { ValueList } from "./ValueList";
import { SiteLook } from "./SiteLook";
import { PrechatEditor } from "./PrechatEditor";
import { SneakPeekSwitch } from "./SneakPeekSwitch";

interface Props {
  api: ApiClient;
  /** Test seam: the clipboard and document the copy buttons use. */
  copyEnv?: CopyEnv;
}

/** Sites (admins): each site's allowed origins and domains, its embed snippet, and its secret's rotation. */
export function SitesAdmin({ api, copyEnv }: Props) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.siteDetails, queryFn: () => listSiteDetails(api) });
  const sites = listed.data;
  const loadError = loadErrorOf("the sites", listed.error);
  const [chosen, setSiteId] = useState("");
  const siteId = chosen || sites?.[0]?.id || "";

  const site = sites?.find((s) => s.id === siteId);
  const replace = (next: SiteDetail) =>
    cache.setQueryData<SiteDetail[]>(keys.siteDetails, (list) =>
      list?.map((s) => (s.id === next.id ? { ...next, secret: null } : s)),
    );

  return (
    <main className="settings admin" data-fw="sites-admin" aria-label="Sites">
      <header className="settings-header">
        <h1>Sites</h1>
      </header>
      {loadError && (
        <p className="error" role="alert" data-fw="sites-load-error">
          {loadError}
        </p>
      )}
      {!sites && !loadError && <p className="muted">Loading…</p>}
      {sites && sites.length === 0 && <p className="empty">This account has no sites yet.</p>}
      {sites && sites.length > 0 && (
        <div className="admin-body">
          <nav className="site-list" aria-label="Sites">
            <ul>
              {sites.map((s) => (
                <li key={s.id}>
                  <button
                    type="button"
                    data-fw="site-item"
                    data-site-id={s.id}
                    aria-pressed={s.id === siteId}
                    className={s.id === siteId ? "site-item current" : "site-item"}
                    onClick={() => setSiteId(s.id)}
                  >
                    <span className="item-title">{s.name}</span>
                    <span className="muted">{s.allowed_origins[0] ?? "no origin"}</span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          {site && <SiteEditor key={site.id} api={api} site={site} copyEnv={copyEnv} onChanged={replace} />}
        </div>
      )}
    </main>
  );
}

interface EditorProps {
  api: ApiClient;
  site: SiteDetail;
  copyEnv?: CopyEnv;
  onChanged: (site: SiteDetail) => void;
}

function SiteEditor({ api, site, copyEnv, onChanged }: EditorProps) {
  const change = async (call: Promise<SiteDetail>) => onChanged(await call);
  return (
    <section className="site-editor" data-fw="site-editor" data-site-id={site.id}>
      <h2 className="site-name">{site.name}</h2>
      <ValueList
        title="Allowed origins"
        hint="The widget opens only on pages of these origins: scheme, host and port, no path (https://shop.example)."
        kind="origin"
        values={site.allowed_origins}
        placeholder="https://shop.example"
        check={originProblem}
        onAdd={(origin) => change(addOrigin(api, site.id, origin))}
        onRemove={(origin) => change(removeOrigin(api, site.id, origin))}
      />
      <ValueList
        title="Domains"
        hint="The site's host names, for your records and reports (shop.example)."
        kind="domain"
        values={site.domains}
        placeholder="shop.example"
        check={domainProblem}
        onAdd={(domain) => change(addDomain(api, site.id, domain))}
        onRemove={(domain) => change(removeDomain(api, site.id, domain))}
      />
      <fieldset className="settings-list" data-fw="embed">
        <legend>Embed snippet</legend>
        <p className="muted hint">Paste it into every page of the site, just before &lt;/body&gt;.</p>
        <pre className="snippet">
          <code data-fw="embed-snippet">{site.embed_snippet}</code>
        </pre>
        <CopyButton text={site.embed_snippet} fw="copy-snippet" label="Copy snippet" env={copyEnv} />
      </fieldset>
      <SiteLook api={api} siteId={site.id} />
      <PrechatEditor api={api} siteId={site.id} />
      <SneakPeekSwitch api={api} siteId={site.id} />
      <SecretRotation api={api} site={site} copyEnv={copyEnv} />
    </section>
  );
}

function SecretRotation({ api, site, copyEnv }: { api: ApiClient; site: SiteDetail; copyEnv?: CopyEnv }) {
  const [step, setStep] = useState<"idle" | "confirm" | "rotating">("idle");
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const rotate = async () => {
    setStep("rotating");
    setError(null);
    try {
      const rotated = await rotateSecret(api, site.id);
      setSecret(rotated.secret);
    } catch (failure) {
      setError(`Could not rotate the secret: ${errorText(failure)}`);
    } finally {
      setStep("idle");
    }
  };

  return (
    <fieldset className="settings-list" data-fw="secret">
      <legend>Site secret</legend>
      <p className="muted hint">
        Your site's backend signs its logged-in users with it (HMAC-SHA256 of the user id), so that operators see
        them as verified. It is shown once, when it is made.
      </p>
      {secret && (
        <div className="secret-once" role="status">
          <p>
            The new secret, shown only now: put it in your site's backend. The old one no longer verifies anybody.
          </p>
          <code data-fw="site-secret">{secret}</code>
          <div className="settings-actions">
            <CopyButton text={secret} fw="copy-secret" env={copyEnv} />
            <button type="button" data-fw="secret-done" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {step === "confirm" ? (
        <div className="confirm" role="alertdialog" aria-label="Rotate the secret" data-fw="rotate-confirm">
          <p>Identities signed with the current secret will be refused at once. Rotate it?</p>
          <button type="button" className="danger" data-fw="rotate-yes" onClick={() => void rotate()}>
            Rotate the secret
          </button>
          <button type="button" data-fw="rotate-cancel" onClick={() => setStep("idle")}>
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          data-fw="rotate-secret"
          disabled={step === "rotating"}
          onClick={() => {
            setSecret(null);
            setStep("confirm");
          }}
        >
          {step === "rotating" ? "Rotating…" : "Rotate secret…"}
        </button>
      )}
      {error && (
        <p className="field-error" role="alert" data-fw="secret-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
