import { useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { changeRole, invite, listTeam, removeMember, withdrawInvitation, type Member } from "../../api/admin";
import { errorText } from "../../lib/admin";
import { loadError as loadErrorOf } from "../hooks";
import { PhotoPicker } from "../profile/PhotoPicker";
import type { Role } from "../../types";

interface Props {
  api: ApiClient;
  /** The logged-in admin (they may not remove themselves here: that is leaving the account). */
  userId: string;
}

const ROLES: Role[] = ["operator", "supervisor", "admin"];
const EMPTY_INVITE = { email: "", name: "", role: "operator" as Role, password: "" };

/** The account's people (admins): invite by e-mail, change roles, remove; pending invitations. */
export function OperatorsAdmin({ api, userId }: Props) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.team, queryFn: () => listTeam(api) });
  const team = listed.data;
  const loadError = loadErrorOf("the team", listed.error);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const reload = () => cache.invalidateQueries({ queryKey: keys.team });

  const act = async (id: string, call: () => Promise<unknown>) => {
    setBusy(id);
    setRowError(null);
    try {
      await call();
      setConfirming(null);
    } catch (failure) {
      setRowError({ id, message: errorText(failure) });
    } finally {
      setBusy(null);
      await reload();
    }
  };

  const setRole = (member: Member, role: Role) => act(member.id, () => changeRole(api, member.id, role));

  return (
    <main className="settings admin" data-fw="operators-admin" aria-label="Operators">
      <header className="settings-header">
        <h1>Operators</h1>
      </header>
      {loadError && (
        <p className="error" role="alert" data-fw="team-load-error">
          {loadError}
        </p>
      )}
      {!team && !loadError && <p className="muted">Loading…</p>}
      {team && (
        <>
          <fieldset className="settings-list">
            <legend>Members</legend>
            <table className="team" data-fw="members">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>E-mail</th>
                  <th>Role</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {team.users.map((member) => (
                  <tr key={member.id} data-fw="member-row" data-email={member.email}>
                    <td>
                      {member.name}
                      {member.id === userId && <span className="muted"> (you)</span>}
                      <PhotoPicker
                        api={api}
                        userId={member.id}
                        name={member.name}
                        photoUrl={member.photo_url}
                        onChange={() => void reload()}
                      />
                    </td>
                    <td>{member.email}</td>
                    <td>
                      <select
                        data-fw="member-role"
                        aria-label={`Role of ${member.name}`}
                        value={member.role}
                        disabled={busy !== null}
                        onChange={(e) => void setRole(member, e.target.value as Role)}
                      >
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="member-actions">
                      {confirming === member.id ? (
                        <span className="confirm" data-fw="remove-confirm">
                          Remove {member.name} from the account?{" "}
                          <button
                            type="button"
                            className="danger"
                            data-fw="remove-yes"
                            disabled={busy !== null}
                            onClick={() => void act(member.id, () => removeMember(api, member.id))}
                          >
                            Remove
                          </button>
                          <button type="button" data-fw="remove-cancel" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </span>
                      ) : (
                        member.id !== userId && (
                          <button
                            type="button"
                            data-fw="member-remove"
                            disabled={busy !== null}
                            onClick={() => {
                              setRowError(null);
                              setConfirming(member.id);
                            }}
                          >
                            Remove…
                          </button>
                        )
                      )}
                      {rowError?.id === member.id && (
                        <p className="field-error" role="alert" data-fw="member-error">
                          {rowError.message}
                        </p>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </fieldset>
          <fieldset className="settings-list" data-fw="invitations">
            <legend>Pending invitations</legend>
            {team.invitations.length === 0 && <p className="empty">None.</p>}
            <ul className="value-list">
              {team.invitations.map((invitation) => (
                <li key={invitation.id} className="value-row" data-fw="invitation-row" data-email={invitation.email}>
                  <span>
                    {invitation.email} <span className="muted">as {invitation.role}</span>
                  </span>
                  <button
                    type="button"
                    data-fw="invitation-withdraw"
                    disabled={busy !== null}
                    onClick={() => void act(invitation.id, () => withdrawInvitation(api, invitation.id))}
                  >
                    Withdraw
                  </button>
                  {rowError?.id === invitation.id && (
                    <span className="field-error" role="alert">
                      {rowError.message}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </fieldset>
          <InviteForm api={api} onInvited={reload} />
          <p className="muted hint" data-fw="capacity-note">
            How many chats each operator takes at once is set with routing, not here yet.
          </p>
        </>
      )}
    </main>
  );
}

function InviteForm({ api, onInvited }: { api: ApiClient; onInvited: () => Promise<void> }) {
  const [form, setForm] = useState(EMPTY_INVITE);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSent(null);
    const email = form.email.trim();
    if (!email.includes("@")) return setError("Enter the person's e-mail address.");
    if (!form.name.trim()) return setError("Enter the person's name.");
    if (form.password.length < 8) return setError("The first password needs at least 8 characters.");
    setError(null);
    setSending(true);
    try {
      await invite(api, { ...form, email, name: form.name.trim() });
      setForm(EMPTY_INVITE);
      setSent(email);
      await onInvited();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setSending(false);
    }
  };

  const field = (name: "email" | "name" | "password") => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  });

  return (
    <form className="settings-list invite" data-fw="invite-form" onSubmit={submit} noValidate>
      <h3>Invite a person</h3>
      <p className="muted hint">
        Someone new signs in with this e-mail and first password; someone who already has a Floorwalker user
        keeps theirs and accepts the invitation after signing in.
      </p>
      <div className="settings-row">
        <label className="field">
          <span className="field-label">E-mail</span>
          <input data-fw="invite-email" type="email" autoComplete="off" {...field("email")} />
        </label>
        <label className="field">
          <span className="field-label">Name</span>
          <input data-fw="invite-name" autoComplete="off" {...field("name")} />
        </label>
        <label className="field">
          <span className="field-label">Role</span>
          <select
            data-fw="invite-role"
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">First password</span>
          <input data-fw="invite-password" type="password" autoComplete="new-password" {...field("password")} />
        </label>
      </div>
      <div className="settings-actions">
        <button type="submit" className="primary" data-fw="invite-send" disabled={sending}>
          {sending ? "Sending…" : "Send invitation"}
        </button>
        {sent && (
          <span className="ok" role="status" data-fw="invite-status">
            Invitation for {sent} is pending.
          </span>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-fw="invite-error">
          {error}
        </p>
      )}
    </form>
  );
}
