import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { previewSegment, type SegmentPreview as Preview } from "../../api/segments";
import { errorText } from "../../lib/admin";
import type { Node } from "../../lib/rules";

/** The end of an id: ids made at nearly the same time share their start. */
const shortId = (id: string) => (id.length > 8 ? `…${id.slice(-8)}` : id);

/** Which of the account's live visitors the draft's conditions match now, each with the segment they are in. */
export function SegmentPreview({ api, conditions }: { api: ApiClient; conditions: Node }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await previewSegment(api, conditions));
    } catch (failure) {
      setError(`Could not preview: ${errorText(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="settings-list rule-preview" data-fw="segment-preview">
      <legend>Live preview</legend>
      <button type="button" data-fw="segment-preview-run" disabled={busy} onClick={() => void run()}>
        {busy ? "Looking…" : preview ? "Look again" : "Which visitors match now?"}
      </button>
      {error && (
        <p className="field-error" role="alert" data-fw="segment-preview-error">
          {error}
        </p>
      )}
      {preview && (
        <>
          <p data-fw="segment-preview-summary">
            {preview.matching} of {preview.live} live visitor{preview.live === 1 ? "" : "s"} match now.
          </p>
          <ul className="preview-list">
            {preview.visitors.map((v) => (
              <li
                key={v.visitor_id}
                data-fw="segment-preview-visitor"
                data-visitor-id={v.visitor_id}
                data-matched={v.matched}
              >
                <span className={v.matched ? "match yes" : "match no"}>{v.matched ? "✓" : "✗"}</span>
                <span className="visitor-id" title={v.visitor_id}>
                  {shortId(v.visitor_id)}
                </span>
                <span className="muted url">{v.current_title || v.current_url || "—"}</span>
                <span className="segment-now muted" data-fw="segment-preview-now">
                  {v.segment_name ? `now in ${v.segment_name}` : "in no segment"}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </fieldset>
  );
}
