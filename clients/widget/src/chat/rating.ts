/**
 * The post-chat rating (EMB-10): once a conversation has ended, five faces (very bad .. very good) and an optional
 * comment, sent once (`POST .../rating`); then a thank-you. A conversation rated already (409 `already_rated`, say
 * from another tab) shows the thank-you too. Texts are text (`textContent`), like everything in the widget.
 */
import type { Conversation } from "../shared/types";
import { adoptStyles } from "../shared/styles";

export const RATING_TEXT = {
  ask: "How was this chat?",
  comment: "Comment (optional)",
  send: "Send rating",
  thanks: "Thank you for your rating!",
  failed: "The rating could not be sent.",
  faces: ["Very bad", "Bad", "OK", "Good", "Very good"],
};
const FACES = ["😞", "🙁", "😐", "🙂", "😄"];
export const MAX_COMMENT = 1000;

const RATING_CSS =
  ".fw-rating{padding:8px 12px;border-top:1px solid #e5e7eb;display:flex;flex-direction:column;gap:6px}" +
  ".fw-faces{display:flex;gap:4px}" +
  ".fw-faces button{all:unset;cursor:pointer;font-size:24px;line-height:1;padding:2px;border-radius:6px;opacity:.6}" +
  ".fw-faces button[aria-pressed=true]{opacity:1;background:#e5e7eb}" +
  ".fw-faces button:focus-visible{outline:2px solid #93c5fd}" +
  ".fw-rating textarea{box-sizing:border-box;inline-size:100%;resize:vertical;font:inherit;padding:4px 6px}";

export interface RatingView {
  element: HTMLElement;
  /** Shown for a conversation that has ended and was not rated in this page. */
  update(conversation: Conversation | null, hadMessages: boolean): void;
  destroy(): void;
}

export type SendRating = (conversationId: string, score: number, comment: string) => Promise<unknown>;

function isAlreadyRated(reason: unknown): boolean {
  return !!reason && typeof reason === "object" && (reason as { code?: string }).code === "already_rated";
}

export function createRating(container: HTMLElement, send: SendRating): RatingView {
  const box = document.createElement("form");
  box.className = "fw-rating";
  box.setAttribute("data-fw", "rating");
  const ask = document.createElement("div");
  ask.textContent = RATING_TEXT.ask;
  const faces = document.createElement("div");
  faces.className = "fw-faces";
  faces.setAttribute("role", "group");
  faces.setAttribute("aria-label", RATING_TEXT.ask);
  let score = 0;
  const buttons = FACES.map((face, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = face;
    button.setAttribute("data-fw", "rating-face");
    button.setAttribute("data-score", String(index + 1));
    button.setAttribute("aria-label", RATING_TEXT.faces[index]);
    button.title = RATING_TEXT.faces[index];
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => {
      score = index + 1;
      buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(i === index)));
      submit.disabled = false;
    });
    return button;
  });
  faces.append(...buttons);
  const comment = document.createElement("textarea");
  comment.setAttribute("data-fw", "rating-comment");
  comment.rows = 2;
  comment.maxLength = MAX_COMMENT;
  comment.placeholder = RATING_TEXT.comment;
  comment.setAttribute("aria-label", RATING_TEXT.comment);
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.setAttribute("data-fw", "rating-send");
  submit.textContent = RATING_TEXT.send;
  submit.disabled = true;
  const result = document.createElement("div");
  result.setAttribute("data-fw", "rating-result");
  result.setAttribute("role", "status");
  box.append(ask, faces, comment, submit, result);
  box.hidden = true;
  const removeStyles = adoptStyles(container.getRootNode(), RATING_CSS, container);

  const done = new Set<string>(); // conversations rated in this page
  let current: string | null = null;
  const thank = () => {
    for (const node of [ask, faces, comment, submit]) node.hidden = true;
    result.textContent = RATING_TEXT.thanks;
  };
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = current;
    if (!id || !score) return;
    submit.disabled = true;
    send(id, score, comment.value.trim()).then(
      () => {
        done.add(id);
        thank();
      },
      (reason: unknown) => {
        if (isAlreadyRated(reason)) {
          done.add(id);
          return thank();
        }
        submit.disabled = false;
        result.textContent = RATING_TEXT.failed;
      },
    );
  });

  return {
    element: box,
    update(conversation, hadMessages) {
      const ended = !!conversation && conversation.state === "closed" && hadMessages;
      if (!ended) {
        box.hidden = true;
        return;
      }
      if (conversation.id !== current) {
        current = conversation.id;
        score = 0;
        comment.value = "";
        result.textContent = "";
        buttons.forEach((b) => b.setAttribute("aria-pressed", "false"));
        for (const node of [ask, faces, comment, submit]) node.hidden = false;
        submit.disabled = true;
        if (done.has(current)) thank();
      }
      box.hidden = false;
    },
    destroy() {
      removeStyles();
      box.remove();
    },
  };
}
