import { useEffect, useRef, useState } from "react";
import { fetchAttachment, uploadAttachment } from "../../api/attachments";
import { ApiError, type ApiClient } from "../../api/client";
import type { Attachment, Message } from "../../types";
import "./attachments.css";

/**
 * Attachments in the console's chat (CHAT-10): an image as a thumbnail that opens large, a PDF as a link with its
 * name and size that downloads it, and the paper-clip that sends a file. Files are fetched with the operator's token
 * in the header (`api.raw`) and shown through object URLs (the console's CSP has `img-src blob:`); names are text.
 */

export interface AttachmentsSource {
  api: ApiClient;
  /** The message carrying a file just sent (shown at once; its frame follows). */
  onSent?: (message: Message) => void;
}

export const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

/** 900 B, 12 KB, 1.4 MB. */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The operator's words for the server's refusal of an upload. */
export function uploadError(error: unknown): string {
  const code = error instanceof ApiError ? error.code : "";
  if (code === "attachment_too_large") return `Too large: ${(error as ApiError).message}`;
  if (code === "unsupported_type") return "Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.";
  if (code === "empty_file") return "The file is empty.";
  if (code === "conversation_closed") return "The conversation is closed.";
  return "The file could not be sent.";
}

function useObjectUrl(api: ApiClient, conversationId: string, attachmentId: string): string | null | "error" {
  const [url, setUrl] = useState<string | null | "error">(null);
  useEffect(() => {
    let made: string | null = null;
    let live = true;
    fetchAttachment(api, conversationId, attachmentId).then(
      (blob) => {
        made = URL.createObjectURL(blob);
        if (live) setUrl(made);
        else URL.revokeObjectURL(made);
      },
      () => live && setUrl("error"),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [api, conversationId, attachmentId]);
  return url;
}

function saveAs(url: string, name: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

function ImageAttachment({ api, conversationId, file }: { api: ApiClient; conversationId: string; file: Attachment }) {
  const url = useObjectUrl(api, conversationId, file.id);
  const [open, setOpen] = useState(false);
  if (url === "error") return <p className="attachment-error">{file.name} (could not be loaded)</p>;
  return (
    <>
      <button
        type="button"
        className="attachment-image"
        data-fw="attachment-image"
        title={`${file.name} (${formatSize(file.size)})`}
        onClick={() => setOpen(true)}
        disabled={!url}
      >
        {url && <img src={url} alt={file.name} data-fw="attachment-thumb" />}
      </button>
      {open && url && (
        <div
          className="attachment-viewer"
          data-fw="attachment-viewer"
          role="dialog"
          aria-label={file.name}
          onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
        >
          <img src={url} alt={file.name} data-fw="viewer-image" />
          <div className="attachment-viewer-bar">
            <span>{file.name}</span>
            <button type="button" onClick={() => saveAs(url, file.name)}>
              Download
            </button>
            <button type="button" data-fw="viewer-close" autoFocus onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </div>
      )}
    </>
  );
}

function FileAttachment({ api, conversationId, file }: { api: ApiClient; conversationId: string; file: Attachment }) {
  const [failed, setFailed] = useState(false);
  const open = async () => {
    try {
      const url = URL.createObjectURL(await fetchAttachment(api, conversationId, file.id));
      saveAs(url, file.name);
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setFailed(false);
    } catch {
      setFailed(true);
    }
  };
  return (
    <a
      href="#"
      className="attachment-file"
      data-fw="attachment-file"
      onClick={(e) => {
        e.preventDefault();
        void open();
      }}
    >
      <span className="attachment-name">{file.name}</span> <span className="muted">{formatSize(file.size)}</span>
      {failed && <span className="attachment-error"> (could not be fetched)</span>}
    </a>
  );
}

/** What a message carrying a file shows instead of its text. */
export function MessageAttachment({ api, message }: { api: ApiClient; message: Message }) {
  const file = message.attachment;
  if (!file) return null;
  const Shown = file.content_type.startsWith("image/") ? ImageAttachment : FileAttachment;
  return <Shown api={api} conversationId={message.conversation_id} file={file} />;
}

/** The paper-clip: picks a file and sends it in the conversation; says why the server refused it. */
export function AttachButton({ source, conversationId }: { source: AttachmentsSource; conversationId: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [sending, setSending] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setProblem(null), [conversationId]);
  const send = async (file: File) => {
    setSending(file.name);
    setProblem(null);
    try {
      source.onSent?.(await uploadAttachment(source.api, conversationId, file, file.name, crypto.randomUUID()));
    } catch (error) {
      setProblem(`${file.name}: ${uploadError(error)}`);
    } finally {
      setSending(null);
    }
  };
  return (
    <span className="attach">
      <input
        ref={input}
        type="file"
        accept={ACCEPT}
        hidden
        data-fw="attach-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (file) void send(file);
        }}
      />
      <button
        type="button"
        data-fw="attach"
        aria-label="Attach an image or a PDF"
        title="Attach an image or a PDF"
        disabled={!!sending}
        onClick={() => input.current?.click()}
      >
        📎
      </button>
      {sending && (
        <span className="muted" data-fw="attach-status" role="status">
          Sending {sending}…
        </span>
      )}
      {problem && (
        <span className="field-error" data-fw="attach-error" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}
