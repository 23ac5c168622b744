import { useEffect, useState } from "react";
import type { ApiClient } from "../api/client";
import type { Session } from "../api/tokens";
import type { ControllerOptions } from "../app/controller";
import { ConsoleView } from "./ConsoleView";
import { Login } from "./Login";

interface Props {
  api: ApiClient;
  /** Test seams: the socket factory, timers and notifier of the console. */
  controllerOptions?: Omit<ControllerOptions, "api">;
}

export function App({ api, controllerOptions }: Props) {
  const [session, setSession] = useState<Session | null>(() => api.session);

  useEffect(() => {
    api.resume();
    // A refused refresh logs out: back to the login page.
    return api.onSession((next) => setSession(next));
  }, [api]);

  if (!session) return <Login api={api} onLoggedIn={setSession} />;
  return (
    <ConsoleView
      key={session.user.id}
      api={api}
      controllerOptions={controllerOptions}
      onLogout={() => void api.logout()}
    />
  );
}
