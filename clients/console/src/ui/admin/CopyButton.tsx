import { useState } from "react";
import { copyText, type CopyEnv } from "../../lib/admin";

interface Props {
  text: string;
  fw: string;
  label?: string;
  /** Test seam: the clipboard and document used. */
  env?: CopyEnv;
}

/** Copies `text`; says whether it worked, or asks for Ctrl+C when the browser allows neither way. */
export function CopyButton({ text, fw, label = "Copy", env }: Props) {
  const [result, setResult] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    const how = await copyText(text, env);
    setResult(how === "failed" ? "failed" : "copied");
  };
  return (
    <span className="copy">
      <button type="button" data-fw={fw} onClick={() => void copy()}>
        {label}
      </button>
      {result === "copied" && (
        <span className="ok" role="status" data-fw={`${fw}-status`}>
          Copied.
        </span>
      )}
      {result === "failed" && (
        <span className="error" role="status" data-fw={`${fw}-status`}>
          The browser did not allow copying: select the text and press Ctrl+C.
        </span>
      )}
    </span>
  );
}
