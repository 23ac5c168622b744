/** The visitor socket lives in `shared/` (the loader keeps it; the chat uses the same one). */
export * from "../shared/connection";
