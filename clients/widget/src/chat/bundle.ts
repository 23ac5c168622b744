/** What `widget-chat.js` gives the loader as `window.FloorwalkerChat` (`index.ts` installs it). */
import type { FloorwalkerChatApi } from "../shared/types";
import { commands } from "./commands";
import { showInvitations } from "./invitations";
import { mount } from "./mount";

export const VERSION = "0.1.0";

export const chatApi: FloorwalkerChatApi = {
  version: VERSION,
  mount: (container, options) => mount(container, options),
  invitations: (host) => void showInvitations(host),
  commands,
};
