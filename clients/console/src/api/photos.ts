/** Users' photos (EMB-3, EMB-9: docs/api.md, Users' photos): shown to visitors in the widget's header and invitations. */

import type { ApiClient } from "./client";
import { call, type Schema } from "./typed";

export type Profile = Schema<"UserOut">;
export type PhotoOut = Schema<"PhotoOut">;

/** The server's limit; the console says so before uploading a larger file. */
export const MAX_PHOTO_BYTES = 512 * 1024;
export const PHOTO_TYPES = "image/png,image/jpeg,image/webp";

/** The file as base64 (the server checks its type by content and its size again). */
export function fileBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

export function myProfile(api: ApiClient): Promise<Profile> {
  return call(api, "get", "/api/v1/auth/me");
}

/** The caller's own photo (`userId` null), or an admin's change of a member's. */
export async function setPhoto(api: ApiClient, userId: string | null, file: Blob): Promise<PhotoOut> {
  const body = { image_base64: await fileBase64(file) };
  if (userId === null) return call(api, "put", "/api/v1/me/photo", { body });
  return call(api, "put", "/api/v1/users/{user_id}/photo", { path: { user_id: userId }, body });
}

export async function removePhoto(api: ApiClient, userId: string | null): Promise<void> {
  if (userId === null) await call(api, "delete", "/api/v1/me/photo");
  else await call(api, "delete", "/api/v1/users/{user_id}/photo", { path: { user_id: userId } });
}
