import { useEffect, useMemo, useState } from "react";
import type { ApiClient } from "../api/client";
import { ConsoleController, type ControllerOptions } from "../app/controller";
import { activeList, waitingList } from "../state/conversations";
import { visiblePending } from "../state/messages";
import { visitorList } from "../state/visitors";
import type { Conversation } from "../types";
import { ChatView } from "./ChatView";
import { ConversationLists } from "./ConversationLists";
import { OperatorsAdmin } from "./admin/OperatorsAdmin";
import { SitesAdmin } from "./admin/SitesAdmin";
import { RulesAdmin } from "./rules/RulesAdmin";
import { TrackingSettings } from "./settings/TrackingSettings";
import { PresenceSwitcher } from "./PresenceSwitcher";
import { LiveVisitors } from "./visitors/LiveVisitors";
import { useConsoleState, useNow } from "./hooks";

interface Props {
  api: ApiClient;
  controllerOptions?: Omit<ControllerOptions, "api">;
  onLogout: () => void;
}

const CONNECTION_TEXT = { idle: "offline", connecting: "connecting…", open: "live", waiting: "reconnecting…" };

export function ConsoleView({ api, controllerOptions, onLogout }: Props) {
  const [controller] = useState(() => new ConsoleController({ api, ...controllerOptions }));
  const [view, setView] = useState<"live" | "settings" | "rules" | "sites" | "operators">("live");
  const [shownVisitor, setShownVisitor] = useState<string | null>(null); // the visitor panel, whoever opened it
  useEffect(() => {
    controller.start();
    return () => controller.stop();
  }, [controller]);

  const state = useConsoleState(controller.store);
  const now = useNow(1000);
  const user = api.session?.user;
  const userId = user?.id ?? "";

  const waiting = useMemo(() => waitingList(state.conversations), [state.conversations]);
  const active = useMemo(() => activeList(state.conversations, userId), [state.conversations, userId]);
  const visitors = useMemo(() => visitorList(state.visitors), [state.visitors]);
  const chats = useMemo(() => {
    const byVisitor: Record<string, Conversation> = {};
    for (const c of Object.values(state.conversations)) if (c.state !== "closed") byVisitor[c.visitor_id] = c;
    return byVisitor;
  }, [state.conversations]);

  const selected = state.selectedId ? state.conversations[state.selectedId] : undefined;
  const messages = (state.selectedId && state.messages[state.selectedId]) || [];
  const pending = state.selectedId ? visiblePending(state.pending, state.selectedId, messages) : [];
  const canWrite =
    selected?.state === "active" && (selected.assigned_user_id === userId || (!!user && user.role !== "operator"));

  return (
    <div className="console">
      <header className="topbar">
        <strong className="brand">Floorwalker</strong>
        <span className={`connection ${state.connection}`} data-fw="connection" data-status={state.connection}>
          {CONNECTION_TEXT[state.connection]}
        </span>
        <nav className="tabs" aria-label="Views">
          <button
            type="button"
            data-fw="tab-live"
            aria-pressed={view === "live"}
            className={view === "live" ? "tab current" : "tab"}
            onClick={() => setView("live")}
          >
            Live
          </button>
          <button
            type="button"
            data-fw="tab-settings"
            aria-pressed={view === "settings"}
            className={view === "settings" ? "tab current" : "tab"}
            onClick={() => setView("settings")}
          >
            Settings
          </button>
          {(user?.role === "supervisor" || user?.role === "admin") && (
            <button
              type="button"
              data-fw="tab-rules"
              aria-pressed={view === "rules"}
              className={view === "rules" ? "tab current" : "tab"}
              onClick={() => setView("rules")}
            >
              Rules
            </button>
          )}
          {user?.role === "admin" &&
            (["sites", "operators"] as const).map((name) => (
              <button
                key={name}
                type="button"
                data-fw={`tab-${name}`}
                aria-pressed={view === name}
                className={view === name ? "tab current" : "tab"}
                onClick={() => setView(name)}
              >
                {name === "sites" ? "Sites" : "Operators"}
              </button>
            ))}
        </nav>
        <span className="spacer" />
        {user && <PresenceSwitcher api={api} />}
        {user && (
          <span className="who">
            {user.name} <span className="muted">({user.role})</span>
          </span>
        )}
        <button type="button" data-fw="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      {state.notice && (
        <div className="notice" role="status" data-fw="notice">
          {state.notice}
          <button type="button" aria-label="Dismiss" onClick={() => controller.dismissNotice()}>
            ×
          </button>
        </div>
      )}
      {view === "settings" && <TrackingSettings api={api} role={user?.role} />}
      {view === "rules" && (user?.role === "supervisor" || user?.role === "admin") && <RulesAdmin api={api} />}
      {view === "sites" && user?.role === "admin" && <SitesAdmin api={api} />}
      {view === "operators" && user?.role === "admin" && <OperatorsAdmin api={api} userId={userId} />}
      <div className="columns" hidden={view !== "live"}>
        <ConversationLists
          waiting={waiting}
          active={active}
          visitors={state.visitors}
          unread={state.unread}
          selectedId={state.selectedId}
          now={now}
          onSelect={(id) => void controller.select(id)}
          userId={userId}
        />
        <ChatView
          conversation={selected}
          messages={messages}
          pending={pending}
          visitor={selected ? state.visitors[selected.visitor_id] : undefined}
          canWrite={canWrite}
          now={now}
          onAccept={(id) => controller.accept(id)}
          onClose={(id) => controller.close(id)}
          onSend={(text) => controller.send(text)}
          onRetry={(id) => controller.retry(id)}
          onDiscard={(id) => controller.discard(id)}
          onShowVisitor={setShownVisitor}
        />
        <LiveVisitors
          api={api}
          visitors={visitors}
          chats={chats}
          geo={state.geo}
          now={now}
          onOpenChat={(id) => void controller.select(id)}
          invitations={state.invitations}
          onCall={(id, text, autoOpen) => controller.invite(id, text, autoOpen)}
          openVisitorId={shownVisitor}
          onOpenVisitor={setShownVisitor}
        />
      </div>
    </div>
  );
}
