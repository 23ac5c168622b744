import { useEffect, useState } from "react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import type { Session } from "../api/tokens";
import type { ControllerOptions } from "../app/controller";
import { makeQueryClient } from "../app/queryClient";
import { ConsoleView } from "./ConsoleView";
import { Login } from "./Login";

interface Props {
  api: ApiClient;
  /** Test seams: the socket factory, timers and notifier of the console. */
  controllerOptions?: Omit<ControllerOptions, "api">;
  /** Test seam: the cache of what is read over REST (one per page: src/app/queryClient.ts). */
  queryClient?: QueryClient;
}

export function App({ api, controllerOptions, ...props }: Props) {
  const [session, setSession] = useState<Session | null>(() => api.session);
  const [queryClient] = useState(() => props.queryClient ?? makeQueryClient());

  useEffect(() => {
    api.resume();
    // A refused refresh logs out: back to the login page (and what was read for that user is forgotten).
    return api.onSession((next, reason) => {
      if (reason !== "refresh") queryClient.clear();
      setSession(next);
    });
  }, [api, queryClient]);

  if (!session) return <Login api={api} onLoggedIn={setSession} />;
  return (
    <QueryClientProvider client={queryClient}>
      <ConsoleView
        key={session.user.id}
        api={api}
        controllerOptions={controllerOptions}
        onLogout={() => void api.logout()}
      />
    </QueryClientProvider>
  );
}
