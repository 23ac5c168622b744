import type { Action, Caps, Variant } from "../../lib/rules";
import { useChoices } from "./choices";
import { FieldError, NumberInput, SecondsInput } from "./inputs";

type Invite = Extract<Action, { type: "show_invitation" }>;
type Open = Extract<Action, { type: "open_chat" }>;
type Notify = Extract<Action, { type: "notify_operators" }>;
type Tag = Extract<Action, { type: "tag_visitor" }>;

interface Props {
  actions: Action[];
  /** The server's messages by field without the action's type: `actions.0.text`, `actions.0.variants.1.split`. */
  problems: Record<string, string>;
  onChange: (actions: Action[]) => void;
}

const isMain = (a: Action): a is Invite | Open => a.type === "show_invitation" || a.type === "open_chat";

/** What the rule does: an invitation (text, delay, A/B variants) or the chat opened by itself, and optionally
 * the operators notified and the visitor tagged. */
export function ActionsEditor({ actions, problems, onChange }: Props) {
  const mainIndex = actions.findIndex(isMain);
  const main = mainIndex >= 0 ? (actions[mainIndex] as Invite | Open) : undefined;
  const notifyIndex = actions.findIndex((a) => a.type === "notify_operators");
  const notify = notifyIndex >= 0 ? (actions[notifyIndex] as Notify) : undefined;
  const tagIndex = actions.findIndex((a) => a.type === "tag_visitor");
  const tag = tagIndex >= 0 ? (actions[tagIndex] as Tag) : undefined;
  const p = (index: number, field: string) => problems[`actions.${index}.${field}`];

  const put = (index: number, action: Action | null) => {
    if (index < 0) onChange(action ? [...actions, action] : actions);
    else onChange(action ? actions.map((a, i) => (i === index ? action : a)) : actions.filter((_, i) => i !== index));
  };
  const setKind = (kind: "show_invitation" | "open_chat") => {
    if (main?.type === kind) return;
    const delay_s = main?.delay_s ?? 0;
    const text = main?.type === "show_invitation" ? main.text : (main?.message ?? "Can I help you?");
    put(mainIndex, kind === "show_invitation" ? { type: kind, text, delay_s } : { type: kind, delay_s, message: text });
  };

  return (
    <fieldset className="settings-list rule-actions" data-fw="rule-actions">
      <legend>Then</legend>
      <div className="radio-row">
        <label>
          <input
            type="radio"
            name="main-action"
            data-fw="action-invite"
            checked={main?.type === "show_invitation"}
            onChange={() => setKind("show_invitation")}
          />
          Show an invitation
        </label>
        <label>
          <input
            type="radio"
            name="main-action"
            data-fw="action-open"
            checked={main?.type === "open_chat"}
            onChange={() => setKind("open_chat")}
          />
          Open the chat window by itself
        </label>
      </div>
      {main?.type === "show_invitation" && (
        <Invitation action={main} index={mainIndex} problems={problems} onChange={(a) => put(mainIndex, a)} />
      )}
      {main?.type === "open_chat" && (
        <div className="settings-row">
          <label>
            First message
            <input
              type="text"
              data-fw="open-message"
              value={main.message ?? ""}
              placeholder="Hello! Can I help you?"
              onChange={(e) =>
                put(mainIndex, { ...main, message: e.target.value.trim() === "" ? null : e.target.value })
              }
            />
          </label>
          <FieldError message={p(mainIndex, "message")} fw="open-message" />
          <label>
            after
            <SecondsInput
              seconds={main.delay_s ?? 0}
              label="delay"
              fw="open-delay"
              onChange={(s) => put(mainIndex, { ...main, delay_s: s })}
            />
          </label>
          <FieldError message={p(mainIndex, "delay_s")} fw="open-delay" />
        </div>
      )}
      <div className="settings-row">
        <label>
          <input
            type="checkbox"
            data-fw="action-notify"
            checked={!!notify}
            onChange={(e) =>
              put(notifyIndex, e.target.checked ? { type: "notify_operators", highlight: true, sound: false } : null)
            }
          />
          Notify the operators (highlight in the live list)
        </label>
        {notify && (
          <label>
            <input
              type="checkbox"
              data-fw="action-notify-sound"
              checked={notify.sound === true}
              onChange={(e) => put(notifyIndex, { ...notify, sound: e.target.checked })}
            />
            with a sound
          </label>
        )}
      </div>
      <div className="settings-row">
        <label>
          Tag the visitor
          <input
            type="text"
            data-fw="action-tag"
            placeholder="no tag"
            value={tag?.tag ?? ""}
            onChange={(e) => put(tagIndex, e.target.value === "" ? null : { type: "tag_visitor", tag: e.target.value })}
          />
        </label>
        <FieldError message={tagIndex >= 0 ? p(tagIndex, "tag") : undefined} fw="action-tag" />
      </div>
    </fieldset>
  );
}

function Invitation({
  action,
  index,
  problems,
  onChange,
}: {
  action: Invite;
  index: number;
  problems: Record<string, string>;
  onChange: (a: Invite) => void;
}) {
  const p = (field: string) => problems[`actions.${index}.${field}`];
  const variants = action.variants ?? [];
  const setVariants = (next: Variant[]) => onChange({ ...action, variants: next });
  const addVariant = () => {
    if (variants.length === 0) {
      setVariants([
        { key: "A", text: action.text, split: 50 },
        { key: "B", text: action.text, split: 50 },
      ]);
    } else {
      setVariants([...variants, { key: String.fromCharCode(65 + variants.length), text: action.text, split: 0 }]);
    }
  };
  const total = variants.reduce((sum, v) => sum + (Number(v.split) || 0), 0);
  const { operators } = useChoices();
  return (
    <div className="invitation-editor">
      <div className="settings-row">
        <label>
          Invitation text
          <input
            type="text"
            data-fw="invite-text"
            value={action.text}
            onChange={(e) => onChange({ ...action, text: e.target.value })}
          />
        </label>
        <FieldError message={p("text")} fw="invite-text" />
        <label>
          after
          <SecondsInput
            seconds={action.delay_s ?? 0}
            label="delay"
            fw="invite-delay"
            onChange={(s) => onChange({ ...action, delay_s: s })}
          />
        </label>
        <FieldError message={p("delay_s")} fw="invite-delay" />
        {operators && operators.length > 0 && (
          <label>
            from
            <select
              data-fw="invite-operator"
              value={action.operator_id ?? ""}
              onChange={(e) => onChange({ ...action, operator_id: e.target.value === "" ? null : e.target.value })}
            >
              <option value="">whoever takes it</option>
              {action.operator_id && !operators.some((o) => o.id === action.operator_id) && (
                <option value={action.operator_id}>{action.operator_id} (unknown)</option>
              )}
              {operators.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} (photo and name shown)
                </option>
              ))}
            </select>
          </label>
        )}
        <FieldError message={p("operator_id")} fw="invite-operator" />
      </div>
      <div className="variants" data-fw="variants">
        {variants.length > 0 && (
          <p className="muted hint">
            A/B test: each visitor sees one variant, in these proportions (they add up to {total}%; 100 needed).
          </p>
        )}
        {variants.map((v, i) => (
          <div key={i} className="settings-row variant" data-fw="variant">
            <input
              type="text"
              aria-label="variant key"
              data-fw={`variant-${i}-key`}
              value={v.key}
              size={6}
              onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
            />
            <FieldError message={p(`variants.${i}.key`)} fw={`variant-${i}-key`} />
            <input
              type="text"
              aria-label="variant text"
              data-fw={`variant-${i}-text`}
              value={v.text}
              onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, text: e.target.value } : x)))}
            />
            <FieldError message={p(`variants.${i}.text`)} fw={`variant-${i}-text`} />
            <NumberInput
              value={v.split}
              label="split %"
              fw={`variant-${i}-split`}
              min={1}
              max={100}
              onChange={(n) => setVariants(variants.map((x, j) => (j === i ? { ...x, split: n ?? 0 } : x)))}
            />
            <span>%</span>
            <FieldError message={p(`variants.${i}.split`)} fw={`variant-${i}-split`} />
            <button
              type="button"
              className="danger"
              data-fw={`variant-${i}-remove`}
              aria-label="Remove variant"
              onClick={() => setVariants(variants.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        ))}
        <FieldError message={p("variants")} fw="variants" />
        {variants.length < 5 && (
          <button type="button" data-fw="variant-add" onClick={addVariant}>
            {variants.length === 0 ? "A/B test this invitation" : "Add variant"}
          </button>
        )}
      </div>
    </div>
  );
}

export const CAP_DEFAULTS: Required<Caps> = {
  once_per_visit: true,
  max_shows: null,
  not_again_days: null,
  never_while_chatting: true,
  hours_after_chat: null,
  not_after_closed_this_visit: true,
};

/** How often the rule may fire for one visitor. */
export function CapsEditor({
  caps,
  problems,
  onChange,
}: {
  caps: Caps;
  problems: Record<string, string>;
  onChange: (caps: Caps) => void;
}) {
  const value = { ...CAP_DEFAULTS, ...caps };
  const flag = (name: "once_per_visit" | "never_while_chatting" | "not_after_closed_this_visit", label: string) => (
    <label>
      <input
        type="checkbox"
        data-fw={`cap-${name}`}
        checked={value[name]}
        onChange={(e) => onChange({ ...caps, [name]: e.target.checked })}
      />
      {label}
    </label>
  );
  const limit = (
    name: "max_shows" | "not_again_days" | "hours_after_chat",
    before: string,
    after: string,
    max: number,
  ) => (
    <label>
      {before}
      <NumberInput
        value={value[name]}
        label={name}
        fw={`cap-${name}`}
        min={1}
        max={max}
        nullable
        onChange={(n) => onChange({ ...caps, [name]: n })}
      />
      {after}
      <FieldError message={problems[`caps.${name}`]} fw={`cap-${name}`} />
    </label>
  );
  return (
    <fieldset className="settings-list rule-caps" data-fw="rule-caps">
      <legend>At most</legend>
      <div className="caps-grid">
        {flag("once_per_visit", "Once per visit")}
        {flag("never_while_chatting", "Never while the visitor is chatting")}
        {flag("not_after_closed_this_visit", "Not again this visit once the visitor closed it")}
        {limit("max_shows", "At most", "times per visitor, ever", 1000)}
        {limit("not_again_days", "Not again for", "days", 365)}
        {limit("hours_after_chat", "Not within", "hours after a chat", 8760)}
      </div>
    </fieldset>
  );
}
