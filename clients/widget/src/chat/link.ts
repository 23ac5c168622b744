/**
 * The chat's socket when the loader shares its own (`VisitorChannel`): the same `start`/`stop`/`send` as a
 * `Connection`, but `stop` only stops listening (the socket stays the tab's, for invitations and the next chat).
 */
import type { Frame } from "../shared/connection";
import type { VisitorChannel } from "../shared/types";

/** What the chat needs of its socket: a `Connection` of its own, or a `ChannelLink` to the loader's. */
export interface SocketLink {
  readonly connected: boolean;
  start(): void;
  stop(): void;
  send(frame: Frame): boolean;
}

export interface LinkHandlers {
  onOpen: () => void;
  onFrame: (frame: Frame) => void;
  onStatus?: (connected: boolean) => void;
  onClose?: (code: number, reason: string) => void;
}

export class ChannelLink implements SocketLink {
  private unlisten: (() => void) | null = null;

  constructor(
    private readonly channel: VisitorChannel,
    private readonly handlers: LinkHandlers,
  ) {}

  get connected(): boolean {
    return this.channel.connected;
  }

  start(): void {
    if (this.unlisten) return;
    this.channel.start();
    if (this.channel.connected) this.handlers.onStatus?.(true);
    const { onOpen, onFrame, onStatus, onClose } = this.handlers;
    this.unlisten = this.channel.listen({
      open: onOpen,
      frame: (frame) => onFrame(frame as Frame),
      status: onStatus,
      close: onClose,
    });
  }

  stop(): void {
    if (!this.unlisten) return;
    this.unlisten();
    this.unlisten = null;
    this.handlers.onStatus?.(false);
  }

  send(frame: Frame): boolean {
    return this.channel.send(frame);
  }
}
