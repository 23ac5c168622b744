import { formatDuration, sinceMs } from "../lib/time";
import type { Conversation, Visitor } from "../types";
import { visitorLabel } from "./ConversationLists";

interface Props {
  visitors: Visitor[];
  /** The open (waiting or active) conversation of each visitor, by visitor id. */
  chats: Readonly<Record<string, Conversation>>;
  now: number;
  onOpenChat: (conversationId: string) => void;
}

function pathOf(url: string | null): string {
  if (!url) return "";
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

export function LiveVisitors({ visitors, chats, now, onOpenChat }: Props) {
  return (
    <aside className="visitors" aria-label="Live visitors">
      <h2>
        Live visitors <span className="count">{visitors.length}</span>
      </h2>
      <table data-fw="live-visitors">
        <thead>
          <tr>
            <th scope="col">Visitor / page</th>
            <th scope="col" title="Time on page">
              On page
            </th>
            <th scope="col" title="Time on site">
              On site
            </th>
            <th scope="col" title="Pages viewed">
              Pages
            </th>
          </tr>
        </thead>
        <tbody>
          {visitors.map((v) => {
            const chat = chats[v.visitor_id];
            return (
              <tr key={v.visitor_id} data-fw="visitor-row" data-visitor-id={v.visitor_id}>
                <td className="visitor-page">
                  <div className="visitor-name">
                    {visitorLabel(v.visitor_id)}
                    <span className={`tag ${v.returning ? "returning" : "new"}`} data-fw="visitor-kind">
                      {v.returning ? `returning · visit ${v.visit_count}` : "new"}
                    </span>
                    {chat && (
                      <button type="button" className={`tag chat-${chat.state}`} onClick={() => onOpenChat(chat.id)}>
                        {chat.state === "waiting" ? "waiting chat" : "in chat"}
                      </button>
                    )}
                  </div>
                  <div className="page-title" title={v.current_url ?? undefined}>
                    {v.current_title || pathOf(v.current_url) || "—"}
                  </div>
                  {v.current_title && v.current_url && <div className="page-url">{pathOf(v.current_url)}</div>}
                </td>
                <td data-fw="time-on-page">{formatDuration(sinceMs(v.page_started_at, now))}</td>
                <td data-fw="time-on-site">{formatDuration(sinceMs(v.first_seen_at, now))}</td>
                <td data-fw="pages-viewed">{v.pages_viewed}</td>
              </tr>
            );
          })}
          {visitors.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                No visitors on the site right now.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </aside>
  );
}
