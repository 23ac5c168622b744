/** Shapes of the public API (docs/api.md) that the widget uses, and the loader <-> chat contract. */

export interface WidgetLook {
  color?: string;
  position?: "right" | "left";
  title?: string;
  greeting?: string;
  sound?: boolean;
}

export interface PublicSite {
  id: string;
  name: string;
  widget: WidgetLook;
}

/** What the site allows the widget to track for this visitor (`tracking` of the session). */
export interface TrackingSettings {
  /** False: the site tracks nothing. */
  enabled: boolean;
  /** Nothing is tracked before the visitor consents (`Floorwalker('consent', true)`). */
  consent_required: boolean;
  /** The visitor's consent as the gateway knows it. */
  consent: boolean;
  /** Track nothing when the browser sends Do-Not-Track. */
  honor_dnt: boolean;
}

export interface WidgetSession {
  visitor_token: string;
  visitor_id: string;
  expires_in: number;
  site: PublicSite;
  /** Absent from older gateways: then everything is tracked as before. */
  tracking?: TrackingSettings;
  /** A robot gets no launcher and no chat. */
  robot?: boolean;
}

export type ConversationState = "waiting" | "active" | "closed";

export interface Conversation {
  id: string;
  account_id?: string;
  site_id?: string;
  visitor_id?: string;
  channel?: string;
  state: ConversationState;
  assigned_user_id?: string | null;
  assigned_user_name?: string | null;
  created_at?: string;
  accepted_at?: string | null;
  closed_at?: string | null;
  last_seq: number;
  last_message_at?: string | null;
}

export type SenderType = "visitor" | "operator" | "system";

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_msg_id?: string | null;
  sender_type: SenderType;
  sender_id?: string | null;
  sender_name?: string | null;
  text: string;
  created_at: string;
}

/** What the chat panel reports back to the loader (launcher state and unread badge). */
export interface ChatState {
  open: boolean;
  unread: number;
}

export interface MountOptions {
  baseUrl: string;
  siteKey: string;
  visitorToken: string;
  site: PublicSite;
  /** Seconds until the visitor token expires (from the session response). */
  expiresIn?: number;
  /** Show the panel at once (launcher click); when omitted the last panel state of this site is kept. */
  open?: boolean;
  onState?: (state: ChatState) => void;
}

export interface ChatHandle {
  open(): void;
  minimise(): void;
  toggle(): void;
  destroy(): void;
}

export interface FloorwalkerChatApi {
  version: string;
  mount(container: HTMLElement, options: MountOptions): ChatHandle;
}

/** `window.__floorwalker`: the loader's idempotence flag and a tiny handle for the host page. */
export interface FloorwalkerGlobal {
  siteKey: string;
  baseUrl: string;
  /** Settles once the loader finished starting (never rejects). */
  ready: Promise<void>;
  /** Opens the chat panel (loads the chat UI if needed). */
  open: () => void;
  /** Collapses the chat panel (the launcher stays). */
  close: () => void;
}

/** `window.Floorwalker(command, ...args)`: the host page's API; before the loader runs, a stub queueing calls in `q`. */
export type FloorwalkerCommand = ((command: string, ...args: unknown[]) => void) & { q?: ArrayLike<unknown>[] };

declare global {
  interface Window {
    FloorwalkerChat?: FloorwalkerChatApi;
    __floorwalker?: FloorwalkerGlobal;
    Floorwalker?: FloorwalkerCommand;
  }
}
