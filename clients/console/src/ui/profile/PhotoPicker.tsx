import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { MAX_PHOTO_BYTES, PHOTO_TYPES, removePhoto, setPhoto } from "../../api/photos";
import { errorText } from "../../lib/admin";

interface Props {
  api: ApiClient;
  /** Whose photo: null, the caller's own; else a member's (admins). */
  userId: string | null;
  name: string;
  photoUrl: string | null | undefined;
  /** The photo changed (its new address, or null once removed). */
  onChange: (photoUrl: string | null) => void;
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  return ((words[0][0] ?? "") + (words.length > 1 ? (words[words.length - 1][0] ?? "") : "")).toUpperCase();
}

/** A person's photo (EMB-3, EMB-9): shown, replaced by a PNG, JPEG or WebP of at most 512 KB, or removed. */
export function PhotoPicker({ api, userId, name, photoUrl, onChange }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<string | null>) => {
    setBusy(true);
    setError(null);
    try {
      onChange(await work());
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  const upload = (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_PHOTO_BYTES) return setError("The photo may have at most 512 KB.");
    void run(async () => (await setPhoto(api, userId, file)).photo_url);
  };
  return (
    <div className="photo-picker" data-fw="photo-picker">
      <span className="photo-face" data-fw="photo-face" aria-hidden="true">
        {photoUrl ? <img src={photoUrl} alt="" /> : initials(name)}
      </span>
      <label className="photo-choose">
        {photoUrl ? "Change photo" : "Upload photo"}{" "}
        <input
          type="file"
          accept={PHOTO_TYPES}
          data-fw="photo-input"
          aria-label={`Photo of ${name}`}
          disabled={busy}
          onChange={(e) => {
            upload(e.target.files?.[0]);
            e.target.value = "";
          }}
        />
      </label>
      {photoUrl && (
        <button
          type="button"
          data-fw="photo-remove"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await removePhoto(api, userId);
              return null;
            })
          }
        >
          Remove photo
        </button>
      )}
      {error && (
        <p className="field-error" role="alert" data-fw="photo-error">
          {error}
        </p>
      )}
    </div>
  );
}
