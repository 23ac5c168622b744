import { useEffect, useState } from "react";
import type { ApiClient } from "../api/client";
import { PRESENCE_STATUSES, type Presence, type PresenceStatus, myPresence, setMyPresence } from "../api/presence";

const LABELS: Record<PresenceStatus, string> = {
  online: "Online",
  away: "Away",
  break: "On a break",
  phone: "On the phone",
  offline: "Offline",
};

/** The header's status picker: shows the operator's presence and sets it; `live` is the latest
 * `presence.updated` frame of this operator (a supervisor, a phone integration or the grace set it). */
export function PresenceSwitcher({ api, live }: { api: ApiClient; live?: Presence }) {
  const [status, setStatus] = useState<PresenceStatus | null>(null);
  const [failed, setFailed] = useState<"load" | "save" | null>(null);
  const liveStatus = live?.status;
  const liveAt = live?.status_changed_at;
  useEffect(() => {
    if (liveStatus) setStatus(liveStatus);
  }, [liveStatus, liveAt]);
  useEffect(() => {
    let live = true;
    myPresence(api).then(
      (presence) => live && setStatus(presence.status),
      () => live && setFailed("load"),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const choose = async (next: PresenceStatus) => {
    const before = status;
    setStatus(next);
    setFailed(null);
    try {
      setStatus((await setMyPresence(api, next)).status);
    } catch {
      setStatus(before);
      setFailed("save");
    }
  };

  return (
    <label className="presence" data-fw="presence" data-status={status ?? "unknown"}>
      <span className="muted">Status</span>{" "}
      <select
        data-fw="presence-select"
        value={status ?? ""}
        disabled={status === null}
        onChange={(event) => void choose(event.target.value as PresenceStatus)}
      >
        {status === null && <option value="">…</option>}
        {PRESENCE_STATUSES.map((value) => (
          <option key={value} value={value}>
            {LABELS[value]}
          </option>
        ))}
      </select>
      {failed && (
        <span role="alert" className="error" data-fw="presence-error">
          {failed === "load" ? "Status unavailable" : "Status not saved"}
        </span>
      )}
    </label>
  );
}
