/** dist/widget-chat.js: defines `window.FloorwalkerChat = {version, mount}` for the loader. */
import type { FloorwalkerChatApi } from "../shared/types";
import { mount } from "./mount";

const VERSION = "0.1.0";

if (!window.FloorwalkerChat) {
  const api: FloorwalkerChatApi = { version: VERSION, mount: (container, options) => mount(container, options) };
  window.FloorwalkerChat = api;
}
