import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { saveSneakPeek, sitePrivacy } from "../../api/sneakPeek";
import { errorText } from "../../lib/admin";
import { loadError } from "../hooks";

/** A site's sneak-peek switch (CHAT-4), saved as it is flipped: on, the operators in a chat see the visitor's text
 * as it is typed; off (privacy law), only that the visitor is typing, and the gateway drops any draft. */
export function SneakPeekSwitch({ api, siteId }: { api: ApiClient; siteId: string }) {
  const cache = useQueryClient();
  const privacy = useQuery({ queryKey: keys.sneakPeek(siteId), queryFn: () => sitePrivacy(api, siteId) });
  const on = privacy.data?.sneak_peek ?? null;
  const [saving, setSaving] = useState(false);
  const [saveNote, setNote] = useState<string | null>(null);
  const note = saveNote ?? loadError("the setting", privacy.error);

  const flip = async (next: boolean) => {
    setSaving(true);
    setNote(null);
    try {
      cache.setQueryData(keys.sneakPeek(siteId), await saveSneakPeek(api, siteId, next));
      setNote(next ? "Saved: operators see what visitors type." : "Saved: operators see only that a visitor types.");
    } catch (failure) {
      setNote(`Could not save: ${errorText(failure)}`);
    } finally {
      setSaving(false);
    }
  };

  return (
    <fieldset className="settings-list" data-fw="sneak-peek">
      <legend>Sneak-peek</legend>
      <p className="muted hint">
        Operators in a chat see the visitor's message as it is typed, before it is sent. It is never stored. Switch it
        off where privacy law asks for it: operators then see only that the visitor is typing.
      </p>
      {on !== null && (
        <label>
          <input
            type="checkbox"
            data-fw="sneak-peek-switch"
            checked={on}
            disabled={saving}
            onChange={(e) => void flip(e.target.checked)}
          />{" "}
          Show operators what visitors type
        </label>
      )}
      {note && (
        <p className="muted" role="status" data-fw="sneak-peek-note">
          {note}
        </p>
      )}
    </fieldset>
  );
}
