import { useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import { myProfile, type Profile as Me } from "../../api/photos";
import { errorText } from "../../lib/admin";
import { PhotoPicker } from "./PhotoPicker";

/** The operator's own profile (from the header): their photo, which visitors see in the widget (EMB-3, EMB-9). */
export function Profile({ api, onClose }: { api: ApiClient; onClose: () => void }) {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    myProfile(api).then(setMe, (failure: unknown) => setError(errorText(failure)));
  }, [api]);
  return (
    <div className="shortcut-help" role="dialog" aria-label="Your profile" data-fw="profile">
      <div className="shortcut-card">
        <header>
          <h2>Your profile</h2>
          <button type="button" aria-label="Close" data-fw="profile-close" onClick={onClose}>
            ×
          </button>
        </header>
        {me && (
          <>
            <p>
              {me.name} <span className="muted">{me.email}</span>
            </p>
            <p className="muted">Visitors see your photo and name when you invite them or answer their chat.</p>
            <PhotoPicker
              api={api}
              userId={null}
              name={me.name}
              photoUrl={me.photo_url}
              onChange={(photo_url) => setMe({ ...me, photo_url })}
            />
          </>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
