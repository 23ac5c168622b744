import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const GATEWAY = "http://127.0.0.1:8000";

export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      "/api": { target: GATEWAY, changeOrigin: true },
      "/ws": {
        target: GATEWAY,
        ws: true,
        changeOrigin: true,
        // The gateway only accepts operator sockets from its own origin (or CONSOLE_ORIGINS).
        headers: { origin: GATEWAY },
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
