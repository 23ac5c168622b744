/** `render` of Testing Library inside a QueryClientProvider, a fresh cache for each test (retries at once). */

import type { ReactElement, ReactNode } from "react";
import { QueryClientProvider } from "@tanstack/react-query";
import { render as renderPlain, type RenderOptions } from "@testing-library/react";
import { makeQueryClient } from "../src/app/queryClient";

export function render(ui: ReactElement, options: Omit<RenderOptions, "wrapper"> = {}) {
  const client = makeQueryClient({ queries: { retryDelay: 0 } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return { client, ...renderPlain(ui, { wrapper, ...options }) };
}
