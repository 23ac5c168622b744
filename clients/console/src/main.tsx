import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiClient } from "./api/client";
import { App } from "./ui/App";
import "./styles.css";

const api = new ApiClient();

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
);
