/** Shapes of the public API (docs/api.md) that the widget uses, and the loader <-> chat contract. */
import type { Tracker } from "../loader/tracking";

export interface WidgetLook {
  color?: string;
  /** Text on the primary colour (EMB-3). */
  text_color?: string;
  position?: "right" | "left";
  /** A round button in the corner, or a bar along the bottom edge (EMB-3). */
  launcher?: "button" | "bar";
  /** An https URL or a path on the gateway (EMB-3: drawn only then, `chat/look.ts`). */
  logo_url?: string | null;
  /** The header shows the answering operator's face instead of the logo. */
  show_operator_photo?: boolean;
  title?: string;
  greeting?: string;
  sound?: boolean;
}

export interface PublicSite {
  id: string;
  name: string;
  widget: WidgetLook;
  /** False: the site keeps drafts private (no sneak-peek): the widget says only that the visitor types. */
  sneak_peek?: boolean;
  /** EMB-11: the language the widget speaks to this visitor (the gateway picks it: the site's setting, else the
   * page's `lang`, else the browser's Accept-Language, else English) and the launcher's default title in it. */
  language?: string;
  launcher_title?: string;
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
  /** Passive mode: regular expressions of `location.pathname` where the launcher shows; null/absent: everywhere. */
  button_paths?: string[] | null;
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
  /** The queue (topic) it waits or waited in. */
  queue_id?: string | null;
  /** Waiting in a queue: its place there (1 first) and the estimated wait (null: unknown). */
  position?: number | null;
  expected_wait_seconds?: number | null;
}

/** `{"type": "conversation.position", ...}`: the visitor's place in their queue changed (docs/architecture.md). */
export interface PositionFrame {
  type: "conversation.position";
  conversation_id: string;
  queue_id: string;
  position: number;
  expected_wait_seconds: number | null;
}

export interface OpeningInterval {
  start: string;
  end: string;
}

/** A queue's opening hours (docs/api.md "Departments"): weekly intervals in its time zone, and holidays. */
export interface OpeningHours {
  time_zone: string;
  weekly: Record<"mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun", OpeningInterval[]>;
  holidays?: string[];
}

/** `GET /api/v1/queues/availability`: a queue (topic) the visitor may choose, online or not now. */
export interface QueueAvailability {
  queue_id: string;
  name: string;
  /** Someone can answer now: within its hours and an operator of it online. */
  online: boolean;
  open_now: boolean;
  hours: OpeningHours | null;
}

export type SenderType = "visitor" | "operator" | "system";

/** A file a message carries (CHAT-10): fetched with the visitor's token at `/attachments/{id}` of its conversation. */
export interface Attachment {
  id: string;
  /** Sanitized by the server; shown as text. */
  name: string;
  content_type: "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf";
  size: number;
}

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
  /** CHAT-5 (`chat/edits.ts`): 0 as written, +1 per edit or retraction; retracted: `text` is empty. */
  revision?: number;
  edited_at?: string | null;
  retracted_at?: string | null;
  /** The seq of the earlier message it quotes. */
  quote_seq?: number | null;
  /** The file it carries (CHAT-10, `chat/attachments.ts`); its `text` is the file's name. */
  attachment?: Attachment | null;
}

/** What the chat panel reports back to the loader (launcher state and unread badge). */
export interface ChatState {
  open: boolean;
  unread: number;
}

export interface ChannelFrame {
  type: string;
  [key: string]: unknown;
}

export interface ChannelListener {
  /** The socket is open and authenticated (also called at once for a listener added while it is). */
  open?(): void;
  frame?(frame: ChannelFrame): void;
  status?(connected: boolean): void;
  close?(code: number, reason: string): void;
}

/** The tab's one visitor socket (`/ws/visitor`), kept by the loader; the chat uses it instead of its own. */
export interface VisitorChannel {
  /** Open and authenticated now. */
  readonly connected: boolean;
  /** The visitor token the channel holds (it renews it). */
  token(): string;
  /** Connects, once (later calls do nothing). */
  start(): void;
  /** Sends if open; false: not sent. */
  send(frame: ChannelFrame): boolean;
  /** Listens to the socket until the returned function is called. */
  listen(listener: ChannelListener): () => void;
}

export interface InvitationOperator {
  id: string;
  name: string;
  photo_url: string | null;
}

/** `{"type": "invitation", ...}`: an operator's call or a rule's invitation for this visitor (docs/architecture.md). */
export interface InvitationFrame extends ChannelFrame {
  type: "invitation";
  invitation_id: string;
  rule_id: string | null;
  variant: string | null;
  text: string;
  operator: InvitationOperator | null;
  auto_open: boolean;
  delay_s: number;
  expires_at?: string;
}

/** An invitation that opened the chat window: shown until the visitor writes, whose first message accepts it. */
export interface OpenedInvitation {
  text: string;
  operator: InvitationOperator | null;
  /** Accepts it: the conversation it started (null: it is gone; the message then starts one as usual). */
  accept(): Promise<Conversation | null>;
  /** The visitor minimised the window without writing. */
  close(): void;
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
  /** The loader's launcher: the chat shows its state on it (`aria-expanded`, the unread badge). */
  launcher?: HTMLElement;
  /** The loader's socket: used instead of a socket of the chat's own (which then renews the token itself). */
  channel?: VisitorChannel;
  /** The invitation this window was opened for (auto-open). */
  invitation?: OpenedInvitation;
  /** Look for an open conversation only when this browser saved one (the loader: it keeps them). */
  onlySaved?: boolean;
}

export interface ChatHandle {
  open(): void;
  minimise(): void;
  toggle(): void;
  destroy(): void;
  /** Shows an invitation in the open window (auto-open while the chat is mounted already). */
  invite?(invitation: OpenedInvitation): void;
}

/**
 * What the loader hands the chat bundle when the first invitation arrives (the bubble and its logic live in the
 * bundle, not in the loader): where the bubble goes, the tab's socket, and the invitation frames received so far.
 */
export interface InvitationMount {
  channel: VisitorChannel;
  /** The widget's shadow root (the bubble's stylesheet is adopted by it). */
  root: ShadowRoot;
  /** The widget's fixed corner: the bubble goes in it, before `launcher`. */
  frame: HTMLElement;
  launcher: HTMLElement;
  /** Invitation frames the loader received before the bundle was loaded, in order, with when they arrived
   * (`Date.now()`: an invitation's delay counts from then). */
  frames: Array<[ChannelFrame, number]>;
  /** Opens the chat window: on the conversation an accepted invitation started (no argument), or on an
   * invitation (auto-open) whose acceptance waits for the visitor's first message. */
  openChat(invitation?: OpenedInvitation): void;
  /** The visitor is in a conversation already: invitations are not shown. */
  chatting(): boolean;
}

export interface FloorwalkerChatApi {
  version: string;
  mount(container: HTMLElement, options: MountOptions): ChatHandle;
  /** Shows the tab's invitations from now on (once per page); absent from an older bundle. */
  invitations?(host: InvitationMount): void;
  /** The host page's commands but `open` and `close` (identify, set, track, consent): a runner that checks and sends
   * them (it throws an Error with a short message on bad arguments); absent from an older bundle. */
  commands?(state: FloorwalkerGlobal, token: string, tracker: Tracker): (...args: unknown[]) => void;
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
