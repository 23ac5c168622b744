import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { listMaterials, safeUrl, type Material } from "../../api/materials";
import "./canned.css";

const KIND_NAMES = { link: "Link", document: "Document", script: "Script" } as const;

/** The support materials at hand in a chat (OPS-4): the account's and those of the chat's queue. Links open in
 * a new tab (http(s) only); scripts and documents' texts are shown as text. */
export function Materials({ api, queueId }: { api: ApiClient; queueId: string | null }) {
  const { data: materials, isError: failed } = useQuery({
    queryKey: [...keys.materials, queueId],
    queryFn: () => listMaterials(api, { queueId }),
  });

  if (failed || materials?.length === 0) return null; // auxiliary: a failed load shows nothing
  return (
    <details className="chat-materials" data-fw="materials">
      <summary>Materials{materials ? ` (${materials.length})` : ""}</summary>
      <ul>
        {materials?.map((m) => (
          <MaterialItem key={m.id} material={m} />
        ))}
      </ul>
    </details>
  );
}

function MaterialItem({ material }: { material: Material }) {
  const url = safeUrl(material.url);
  return (
    <li data-fw="material" data-kind={material.kind}>
      <span className="muted">{KIND_NAMES[material.kind]}</span>{" "}
      {url ? (
        <a href={url} target="_blank" rel="noopener noreferrer" data-fw="material-link">
          {material.title}
        </a>
      ) : (
        <strong>{material.title}</strong>
      )}
      {material.campaign && <span className="muted"> · {material.campaign}</span>}
      {material.text && (
        <details>
          <summary>Show</summary>
          <pre className="material-text" data-fw="material-text">
            {material.text}
          </pre>
        </details>
      )}
    </li>
  );
}
