/** The chat UI (`widget-chat.js`) is injected once, on demand, and defines `window.FloorwalkerChat`. */
import type { FloorwalkerChatApi } from "../shared/types";

let loading: Promise<FloorwalkerChatApi> | null = null;

export function loadChatUi(baseUrl: string): Promise<FloorwalkerChatApi> {
  if (window.FloorwalkerChat) return Promise.resolve(window.FloorwalkerChat);
  if (!loading) {
    loading = new Promise<FloorwalkerChatApi>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${baseUrl}/widget-chat.js`;
      script.async = true;
      script.onload = () => {
        if (window.FloorwalkerChat) resolve(window.FloorwalkerChat);
        else fail();
      };
      script.onerror = fail;
      function fail() {
        loading = null; // a later click may try again
        script.remove();
        reject(new Error("widget-chat.js did not load"));
      }
      (document.head || document.documentElement).appendChild(script);
    });
  }
  return loading;
}

/** For tests: forget a previous injection. */
export function resetChatUiLoader(): void {
  loading = null;
}
