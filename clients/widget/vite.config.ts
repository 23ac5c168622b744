/// <reference types="vitest/config" />
/**
 * Two IIFE builds from one config (library mode allows one entry per IIFE build):
 *   vite build --mode loader  -> dist/widget.js       (the tiny loader embedded on customer sites)
 *   vite build --mode chat    -> dist/widget-chat.js  (the chat UI, loaded on demand by the loader)
 * The loader build empties dist/; the chat build adds to it. Vitest uses the `test` section.
 */
import { defineConfig } from "vitest/config";

const ENTRIES: Record<string, { entry: string; file: string }> = {
  loader: { entry: "src/loader.ts", file: "widget.js" },
  chat: { entry: "src/chat/index.ts", file: "widget-chat.js" },
};

export default defineConfig(({ mode }) => {
  const target = ENTRIES[mode] ?? ENTRIES.loader;
  return {
    build: {
      outDir: "dist",
      emptyOutDir: mode !== "chat",
      target: "es2020",
      minify: true,
      sourcemap: false,
      copyPublicDir: false,
      lib: {
        entry: target.entry,
        formats: ["iife"],
        name: mode === "chat" ? "FloorwalkerChatBundle" : "FloorwalkerLoader",
        fileName: () => target.file,
      },
    },
    test: {
      environment: "jsdom",
      environmentOptions: { jsdom: { url: "https://shop.example/products/tv?ref=ad" } },
      include: ["test/**/*.test.ts"],
      restoreMocks: true,
    },
  };
});
