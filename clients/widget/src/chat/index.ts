/** dist/widget-chat.js: defines `window.FloorwalkerChat = {version, mount, invitations, commands}` for the loader. */
import { chatApi } from "./bundle";

if (!window.FloorwalkerChat) window.FloorwalkerChat = chatApi;
