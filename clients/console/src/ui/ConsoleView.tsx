import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import type { ApiClient } from "../api/client";
import { ConsoleController, type ControllerOptions } from "../app/controller";
import { useRoute, type View } from "../app/route";
import { activeList, waitingList } from "../state/conversations";
import { visiblePending } from "../state/messages";
import { visitorList } from "../state/visitors";
import type { Conversation } from "../types";
import { ChatView } from "./ChatView";
import { ConversationLists } from "./ConversationLists";
import { OperatorsAdmin } from "./admin/OperatorsAdmin";
import { SitesAdmin } from "./admin/SitesAdmin";
import { RulesAdmin } from "./rules/RulesAdmin";
import { SegmentsAdmin } from "./segments/SegmentsAdmin";
import { TrackingSettings } from "./settings/TrackingSettings";
import { PresenceSwitcher } from "./PresenceSwitcher";
import { LiveVisitors } from "./visitors/LiveVisitors";
import { useConsoleState, useNow } from "./hooks";
import { ChatTeam } from "./chat/ChatTeam";
import { DepartmentsAdmin } from "./queues/DepartmentsAdmin";
import { CannedAdmin } from "./admin/CannedAdmin";
import { MaterialsAdmin } from "./admin/MaterialsAdmin";
import { TicketsScreen } from "./tickets/TicketsScreen";
import { Materials } from "./chat/Materials";
import { RatingBadge } from "./chat/RatingBadge";
import { CustomerCard } from "./chat/CustomerCard";
import { NotesPanel } from "./chat/NotesPanel";
import { HistoryScreen } from "./history/HistoryScreen";
import { useVisitorReadSeq, VisitorTyping } from "./chat/Typing";
import { QueueList } from "./queues/QueueList";
import { useTeamState } from "./queues/useTeam";
import { SupervisorBoard } from "./supervisor/SupervisorBoard";
import { hasRole } from "../lib/board";
import { byWaiting } from "../lib/waiting";
import { activeHighlights } from "../state/team";
import { Splitter, usePaneShare } from "./layout/Splitter";
import { AlertSwitches } from "./layout/AlertSwitches";
import { ShortcutHelp, useShortcuts } from "./layout/Shortcuts";
import { SmsAlerts } from "./layout/SmsAlerts";
import { Profile } from "./profile/Profile";
import { stepChat } from "../lib/shortcuts";
import { lastMessages } from "../lib/preview";

interface Props {
  api: ApiClient;
  controllerOptions?: Omit<ControllerOptions, "api">;
  onLogout: () => void;
}

const CONNECTION_TEXT = { idle: "offline", connecting: "connecting…", open: "live", waiting: "reconnecting…" };

export function ConsoleView({ api, controllerOptions, onLogout }: Props) {
  const [controller] = useState(() => new ConsoleController({ api, ...controllerOptions }));
  const [route, go] = useRoute(); // the screen and the open chat, in the address (bookmarks, shared links)
  const view = route.view;
  const setView = useCallback((next: View) => go({ view: next }), [go]);
  const [shownVisitor, setShownVisitor] = useState<string | null>(null); // the visitor panel, whoever opened it
  const [liveShare, setLiveShare] = usePaneShare();
  const columnsRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    controller.start();
    return () => controller.stop();
  }, [controller]);

  const state = useConsoleState(controller.store);
  const team = useTeamState(controller.team);
  const now = useNow(1000);
  const user = api.session?.user;
  const userId = user?.id ?? "";

  const waiting = useMemo(() => byWaiting(waitingList(state.conversations)), [state.conversations]);
  const active = useMemo(() => {
    // the operator's own chats, and those a colleague invited them into
    const invited = Object.values(state.conversations).filter(
      (c) => c.state === "active" && c.assigned_user_id !== userId && hasRole(c, userId, ["invited"]),
    );
    return [...activeList(state.conversations, userId), ...invited];
  }, [state.conversations, userId]);
  const staff = user?.role === "supervisor" || user?.role === "admin";
  const highlights = useMemo(() => activeHighlights(team, now), [team, now]);
  const queueNames = useMemo(
    () => Object.fromEntries((team.summary?.queues ?? []).map((q) => [q.queue_id, q.name])),
    [team.summary],
  );
  const visitors = useMemo(() => visitorList(state.visitors), [state.visitors]);
  const previews = useMemo(() => lastMessages(state.messages), [state.messages]);
  const chats = useMemo(() => {
    const byVisitor: Record<string, Conversation> = {};
    for (const c of Object.values(state.conversations)) if (c.state !== "closed") byVisitor[c.visitor_id] = c;
    return byVisitor;
  }, [state.conversations]);

  const [helpOpen, setHelpOpen] = useState(false);
  const [smsOpen, setSmsOpen] = useState(false);
  const [profileOpen, setProfileOpen] = useState(false); // the operator's photo (EMB-3)
  useShortcuts(view === "live", (action) => {
    if (action === "toggle-help") setHelpOpen((open) => !open);
    else if (action === "close-panel") {
      if (helpOpen || smsOpen || profileOpen) {
        setHelpOpen(false);
        setSmsOpen(false);
        setProfileOpen(false);
      } else setShownVisitor(null);
    } else {
      const next = stepChat(
        [...waiting, ...active].map((c) => c.id),
        state.selectedId,
        action === "next-chat" ? 1 : -1,
      );
      if (next) void controller.select(next);
    }
  });

  const routed = useRef<string | null>(null); // the chat of the address once opened (or put there by a selection)
  useEffect(() => {
    // the address names another chat (a link, back or forward): open it once it is known here
    const wanted = route.conversationId;
    if (!wanted || wanted === routed.current || !state.conversations[wanted]) return;
    routed.current = wanted;
    if (wanted !== state.selectedId) void controller.select(wanted);
  }, [route.conversationId, state.conversations]);
  useEffect(() => {
    // the open chat goes into the address (not before the chat the address names could be opened)
    if (view !== "live") return;
    if (state.selectedId === null && route.conversationId && route.conversationId !== routed.current) return;
    routed.current = state.selectedId;
    go({ conversationId: state.selectedId });
  }, [state.selectedId]);

  const selected = state.selectedId ? state.conversations[state.selectedId] : undefined;
  const messages = (state.selectedId && state.messages[state.selectedId]) || [];
  const pending = state.selectedId ? visiblePending(state.pending, state.selectedId, messages) : [];
  const visitorReadSeq = useVisitorReadSeq(controller.signals, selected?.id); // EMB-8
  const canWrite =
    selected?.state === "active" &&
    (hasRole(selected, userId, ["assigned", "invited"]) || (!!user && user.role !== "operator"));

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
            data-fw="tab-tickets"
            aria-pressed={view === "tickets"}
            className={view === "tickets" ? "tab current" : "tab"}
            onClick={() => setView("tickets")}
          >
            Tickets
          </button>
          <button
            type="button"
            data-fw="tab-history"
            aria-pressed={view === "history"}
            className={view === "history" ? "tab current" : "tab"}
            onClick={() => setView("history")}
          >
            History
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
          {staff && (
            <button
              type="button"
              data-fw="tab-segments"
              aria-pressed={view === "segments"}
              className={view === "segments" ? "tab current" : "tab"}
              onClick={() => setView("segments")}
            >
              Segments
            </button>
          )}
          {staff &&
            (["board", "departments"] as const).map((name) => (
              <button
                key={name}
                type="button"
                data-fw={`tab-${name}`}
                aria-pressed={view === name}
                className={view === name ? "tab current" : "tab"}
                onClick={() => setView(name)}
              >
                {name === "board" ? "Board" : "Departments"}
              </button>
            ))}
          {staff &&
            (["canned", "materials"] as const).map((name) => (
              <button
                key={name}
                type="button"
                data-fw={`tab-${name}`}
                aria-pressed={view === name}
                className={view === name ? "tab current" : "tab"}
                onClick={() => setView(name)}
              >
                {name === "canned" ? "Canned responses" : "Materials"}
              </button>
            ))}
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
        <AlertSwitches />
        <button
          type="button"
          data-fw="sms-alerts-open"
          title="SMS when a visitor starts a chat"
          onClick={() => setSmsOpen(true)}
        >
          SMS
        </button>
        <button type="button" data-fw="shortcuts" title="Keyboard shortcuts (?)" onClick={() => setHelpOpen(true)}>
          ?
        </button>
        {user && <PresenceSwitcher api={api} live={team.presence[userId]} />}
        {user && (
          <button
            type="button"
            className="who"
            data-fw="profile-open"
            title="Your profile and photo"
            onClick={() => setProfileOpen(true)}
          >
            {user.name} <span className="muted">({user.role})</span>
          </button>
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
      {helpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
      {smsOpen && <SmsAlerts api={api} onClose={() => setSmsOpen(false)} />}
      {profileOpen && <Profile api={api} onClose={() => setProfileOpen(false)} />}
      {view === "settings" && <TrackingSettings api={api} role={user?.role} />}
      {view === "tickets" && <TicketsScreen api={api} />}
      {view === "history" && (
        <HistoryScreen
          api={api}
          operators={Object.values(team.presence).map((p) => ({ id: p.user_id, name: p.name ?? p.user_id }))}
        />
      )}
      {view === "rules" && (user?.role === "supervisor" || user?.role === "admin") && <RulesAdmin api={api} />}
      {view === "segments" && staff && <SegmentsAdmin api={api} />}
      {view === "sites" && user?.role === "admin" && <SitesAdmin api={api} />}
      {view === "operators" && user?.role === "admin" && <OperatorsAdmin api={api} userId={userId} />}
      {view === "departments" && staff && <DepartmentsAdmin api={api} />}
      {view === "canned" && staff && <CannedAdmin api={api} />}
      {view === "materials" && staff && <MaterialsAdmin api={api} />}
      {view === "board" && staff && (
        <SupervisorBoard
          api={api}
          team={controller.team}
          userId={userId}
          conversations={state.conversations}
          visitors={state.visitors}
          now={now}
          onOpen={(id) => {
            setView("live");
            void controller.select(id);
          }}
        />
      )}
      <div
        ref={columnsRef}
        className={`columns ${selected ? "has-chat" : "no-chat"}${shownVisitor ? " with-panel" : ""}`}
        hidden={view !== "live"}
        data-fw="columns"
        style={{ "--live-share": `${Math.round(liveShare * 100)}%` } as CSSProperties}
      >
        <ConversationLists
          waiting={waiting}
          active={active}
          visitors={state.visitors}
          unread={state.unread}
          selectedId={state.selectedId}
          now={now}
          onSelect={(id) => void controller.select(id)}
          userId={userId}
          queues={<QueueList team={controller.team} now={now} />}
          queueNames={queueNames}
          lastMessages={previews}
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
          onSend={(text, quoteSeq) => controller.send(text, quoteSeq)}
          editing={
            selected && {
              api,
              userId,
              manager: staff,
              change: (messageId, text) => controller.changeMessage(selected.id, messageId, text),
            }
          }
          onRetry={(id) => controller.retry(id)}
          onDiscard={(id) => controller.discard(id)}
          onShowVisitor={setShownVisitor}
          canned={
            selected && {
              api,
              queueId: selected.queue_id ?? null,
              visitorName: state.visitors[selected.visitor_id]?.contact?.name || "there",
              operatorName: user?.name ?? "",
            }
          }
          materials={selected && <Materials api={api} queueId={selected.queue_id ?? null} />}
          rating={selected && <RatingBadge api={api} conversation={selected} />}
          card={selected && <CustomerCard api={api} conversation={selected} />}
          notes={selected && <NotesPanel api={api} conversationId={selected.id} frames={controller.socket} />}
          attachments={{
            api,
            onSent: (message) => controller.store.dispatch({ type: "messages.received", messages: [message] }),
          }}
          typing={selected && <VisitorTyping signals={controller.signals} conversationId={selected.id} />}
          visitorReadSeq={visitorReadSeq}
          onTyped={(text) => controller.typed(text)}
          team={
            selected && (
              <ChatTeam api={api} team={controller.team} conversation={selected} userId={userId} role={user?.role} />
            )
          }
        />
        <Splitter share={liveShare} onChange={setLiveShare} container={() => columnsRef.current} />
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
          highlights={highlights}
        />
      </div>
    </div>
  );
}
