/**
 * The widget's size budget (issue 13): the loader (dist/widget.js, on every page of a customer's site) at most
 * 6 KB gzipped, the chat UI (dist/widget-chat.js, loaded on demand) at most 45 KB gzipped. Run by `npm run build`
 * after both builds: prints the sizes (`loader_gz_bytes=...`, `chat_ui_gz_bytes=...`) and exits 1 when one is over.
 * Sizes are gzip level 9 in bytes; the limits are decimal (6 KB = 6000 bytes), the stricter reading.
 * To see what takes the room: `npx vite build --mode loader --sourcemap` and attribute the map's bytes per module.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGETS = [
  { key: "loader_gz_bytes", file: "dist/widget.js", limit: 6000 },
  { key: "chat_ui_gz_bytes", file: "dist/widget-chat.js", limit: 45000 },
];

let over = false;
for (const { key, file, limit } of BUDGETS) {
  const code = readFileSync(new URL(`../${file}`, import.meta.url));
  const bytes = gzipSync(code, { level: 9 }).length;
  const ok = bytes <= limit;
  over ||= !ok;
  console.log(`${key}=${bytes} (${file}, ${code.length} bytes minified, limit ${limit} gzipped)${ok ? "" : "  OVER THE LIMIT"}`);
}
if (over) {
  console.error("size budget exceeded: move code the loader does not need before the chat opens into the chat bundle");
  process.exit(1);
}
