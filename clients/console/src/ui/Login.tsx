import { useState, type FormEvent } from "react";
import { ApiError, NetworkError, type ApiClient } from "../api/client";
import { setMyPresence } from "../api/presence";
import type { Session } from "../api/tokens";

interface Props {
  api: ApiClient;
  onLoggedIn: (session: Session) => void;
}

export function Login({ api, onLoggedIn }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.login(email.trim(), password);
      // Logging in is coming to work: online, so chats are offered at once (the header's switcher changes it).
      // Best effort: a console whose presence call fails still opens, showing the status it reads.
      await setMyPresence(api, "online").catch(() => undefined);
      onLoggedIn(session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        setError("Enter a valid email and password.");
      } else if (err instanceof ApiError || err instanceof NetworkError) {
        setError(err.message);
      } else {
        setError("Could not log in.");
      }
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit}>
        <h1>Floorwalker</h1>
        <p className="muted">Operator console</p>
        <label>
          Email
          <input
            data-fw="login-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            data-fw="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert" data-fw="login-error">
            {error}
          </p>
        )}
        <button data-fw="login-submit" type="submit" className="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
