import { useEffect, useState, type CSSProperties } from "react";
import type { ApiClient } from "../../api/client";
import { GATEWAY_PATH, lookProblem, saveSiteLook, siteLook, type WidgetLook } from "../../api/siteLook";
import { errorText } from "../../lib/admin";

/** The widget's look of a site (EMB-3) with a live preview: a mock chat header, greeting bubble and launcher drawn
 * with the chosen values (colours through CSS custom properties, as the widget applies them). */
export function SiteLook({ api, siteId }: { api: ApiClient; siteId: string }) {
  const [look, setLook] = useState<WidgetLook | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    siteLook(api, siteId).then(setLook, (failure: unknown) => setNote(errorText(failure)));
  }, [api, siteId]);
  if (!look) return note ? <p className="field-error">{note}</p> : null;
  const set = (patch: Partial<WidgetLook>) => {
    setLook({ ...look, ...patch });
    setNote(null);
  };
  const problem = lookProblem(look);
  const save = async () => {
    try {
      setLook(await saveSiteLook(api, siteId, look));
      setNote("Saved: visitors see it on their next page.");
    } catch (failure) {
      setNote(errorText(failure));
    }
  };
  const preview = { "--fw-color": look.color, "--fw-on-color": look.text_color } as CSSProperties;
  return (
    <fieldset className="settings-list site-look" data-fw="site-look">
      <legend>Widget look</legend>
      <div className="site-look-body">
        <div className="site-look-fields">
          <label>
            Colour{" "}
            <input
              type="color"
              data-fw="look-color"
              value={look.color}
              onChange={(e) => set({ color: e.target.value })}
            />
          </label>
          <label>
            Text on it{" "}
            <input
              type="color"
              data-fw="look-text-color"
              value={look.text_color}
              onChange={(e) => set({ text_color: e.target.value })}
            />
          </label>
          <label>
            Corner{" "}
            <select value={look.position} onChange={(e) => set({ position: e.target.value as WidgetLook["position"] })}>
              <option value="right">bottom right</option>
              <option value="left">bottom left</option>
            </select>
          </label>
          <label>
            Launcher{" "}
            <select
              data-fw="look-launcher-kind"
              value={look.launcher}
              onChange={(e) => set({ launcher: e.target.value as WidgetLook["launcher"] })}>
              <option value="button">button</option>
              <option value="bar">bar</option>
            </select>
          </label>
          <label>
            Title <input value={look.title} maxLength={80} onChange={(e) => set({ title: e.target.value })} />
          </label>
          <label>
            Greeting{" "}
            <textarea
              value={look.greeting}
              maxLength={500}
              rows={2}
              onChange={(e) => set({ greeting: e.target.value })}
            />
          </label>
          <label>
            Logo (https, or a path on this server){" "}
            <input
              type="url"
              data-fw="look-logo"
              placeholder="https://shop.example/logo.png"
              value={look.logo_url ?? ""}
              onChange={(e) => set({ logo_url: e.target.value || null })}
            />
          </label>
          <label>
            <input
              type="checkbox"
              data-fw="look-operator-photo"
              checked={look.show_operator_photo}
              onChange={(e) => set({ show_operator_photo: e.target.checked })}
            />{" "}
            Operator's photo in the header
          </label>
          <label>
            <input type="checkbox" checked={look.sound} onChange={(e) => set({ sound: e.target.checked })} /> Sound
          </label>
          {problem && <p className="field-error">{problem}</p>}
          {note && <p className="muted">{note}</p>}
          <button
            type="button"
            className="primary"
            data-fw="look-save"
            disabled={!!problem}
            onClick={() => void save()}
          >
            Save look
          </button>
        </div>
        <div className={`look-preview ${look.position}`} style={preview} data-fw="look-preview" aria-hidden="true">
          <div className="look-box">
            <div className="look-head">
              {/* the console's CSP loads no outside images: a logo elsewhere is marked, one on this server drawn */}
              {look.logo_url && !problem && GATEWAY_PATH.test(look.logo_url) ? (
                <img className="look-logo" src={look.logo_url} alt="" />
              ) : (
                look.logo_url && !problem && <span className="look-logo">logo</span>
              )}
              <span>{look.title}</span>
            </div>
            <p className="look-greeting">{look.greeting}</p>
          </div>
          <span className={`look-launcher ${look.launcher}`} data-fw="look-launcher">
            {look.title}
          </span>
        </div>
      </div>
    </fieldset>
  );
}
