import { useState } from "react";
import type { ApiClient } from "../../api/client";
import type { Presence } from "../../api/presence";
import { setOperatorLanguages } from "../../api/queues";
import { errorText } from "../../lib/admin";

/** "de, fr-CH" -> ["de", "fr"] (primary subtags, lower case, once each); null when one is not a language. */
export function parseLanguages(text: string): string[] | null {
  const tags = text
    .split(/[\s,;]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  const found: string[] = [];
  for (const tag of tags) {
    const primary = tag.split(/[-_]/)[0].toLowerCase();
    if (!/^[a-z]{2,8}$/.test(primary)) return null;
    if (!found.includes(primary)) found.push(primary);
  }
  return found.length <= 20 ? found : null;
}

/** Supervisors: the languages each operator speaks (a chat in one of them is offered to them first, ROUTE-3). */
export function OperatorLanguages({ api, operators }: { api: ApiClient; operators: Presence[] }) {
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<Record<string, string[]>>({});
  const [problem, setProblem] = useState<{ id: string; message: string } | null>(null);

  const spoken = (p: Presence) => saved[p.user_id] ?? p.languages ?? [];
  const save = async (p: Presence) => {
    const languages = parseLanguages(drafts[p.user_id] ?? spoken(p).join(", "));
    if (languages === null) {
      setProblem({ id: p.user_id, message: 'Write languages as codes, separated by commas ("en, de").' });
      return;
    }
    try {
      const answer = await setOperatorLanguages(api, p.user_id, languages);
      setSaved((s) => ({ ...s, [p.user_id]: answer.languages ?? languages }));
      setDrafts(({ [p.user_id]: _, ...rest }) => rest);
      setProblem(null);
    } catch (error) {
      setProblem({ id: p.user_id, message: errorText(error) });
    }
  };

  return (
    <section className="operator-languages" data-fw="operator-languages" aria-label="Operators' languages">
      <h2>Operators' languages</h2>
      <p className="muted hint">A chat in a language goes first to the operators who speak it.</p>
      <table className="team">
        <tbody>
          {operators.map((p) => (
            <tr key={p.user_id} data-fw="operator-language" data-user-id={p.user_id}>
              <td>{p.name ?? p.user_id}</td>
              <td>
                <input
                  data-fw="operator-languages-input"
                  aria-label={`Languages of ${p.name ?? p.user_id}`}
                  placeholder="en, de"
                  value={drafts[p.user_id] ?? spoken(p).join(", ")}
                  onChange={(e) => setDrafts((d) => ({ ...d, [p.user_id]: e.target.value }))}
                />
                {problem?.id === p.user_id && (
                  <p className="field-error" role="alert">
                    {problem.message}
                  </p>
                )}
              </td>
              <td>
                <button type="button" data-fw="operator-languages-save" onClick={() => void save(p)}>
                  Save
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
