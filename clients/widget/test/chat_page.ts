/**
 * The chat panel mounted as the loader mounts it, for the chat bundle's tests: a fresh page (storage and fake
 * sockets cleared) with a shadow-rooted host and the box the panel goes in, the mount's usual options, and the
 * panel destroyed after each test. `useChatPage()` registers the hooks in the `describe` that calls it.
 */
import { afterEach, beforeEach } from "vitest";
import { mount, type MountDeps } from "../src/chat/mount";
import type { ChatHandle, MountOptions, PublicSite } from "../src/shared/types";
import { FakeSocket } from "./helpers";

/** The options every test mounts with unless it says otherwise. */
export const MOUNT_DEFAULTS = { baseUrl: "https://gw.example", siteKey: "k", visitorToken: "tok", open: true };

export interface ChatPage {
  root: ShadowRoot;
  box: HTMLElement;
  handle: ChatHandle | null;
  /** The widget's element `[data-fw="name"]`. */
  $<T extends HTMLElement = HTMLElement>(name: string): T;
  /** Mounts the panel for `site` (`options` over MOUNT_DEFAULTS) on `fetch`, with FakeSocket unless `deps` say otherwise. */
  mount(site: PublicSite, fetch: typeof globalThis.fetch, options?: Partial<MountOptions>, deps?: MountDeps): ChatHandle;
  /** A new page view: the panel destroyed, a fresh host and box (storage kept). */
  reload(): void;
}

export function useChatPage(): ChatPage {
  const page: ChatPage = {
    root: null as unknown as ShadowRoot,
    box: null as unknown as HTMLElement,
    handle: null,
    $: <T extends HTMLElement>(name: string) => page.root.querySelector<T>(`[data-fw="${name}"]`)!,
    mount(site, fetch, options = {}, deps = {}) {
      page.handle = mount(page.box, { ...MOUNT_DEFAULTS, site, ...options }, { fetch, socketFactory: FakeSocket.factory, ...deps });
      return page.handle;
    },
    reload() {
      page.handle?.destroy();
      page.handle = null;
      document.body.innerHTML = "";
      const host = document.createElement("div");
      document.body.appendChild(host);
      page.root = host.attachShadow({ mode: "open" });
      page.box = document.createElement("div");
      page.root.appendChild(page.box);
    },
  };
  beforeEach(() => {
    localStorage.clear();
    FakeSocket.all = [];
    page.reload();
  });
  afterEach(() => {
    page.handle?.destroy();
    page.handle = null;
  });
  return page;
}
