/** The chat panel's styles; they live in the widget's shadow root and cannot leak into the page. */
export const CHAT_CSS = `
.fw-panel{box-sizing:border-box;display:flex;flex-direction:column;width:min(360px,calc(100vw - 40px));
  height:min(540px,calc(100vh - 110px));background:#fff;color:#111827;border-radius:12px;overflow:hidden;
  box-shadow:0 12px 40px rgba(0,0,0,.25);font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
.fw-panel *{box-sizing:border-box}
.fw-head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--fw-color,#2563eb);color:var(--fw-on-color,#fff)}
.fw-head-text{flex:1;min-width:0}
.fw-title{font-weight:600;font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fw-status{font-size:12px;opacity:.9;min-height:1em}
.fw-head button{all:unset;cursor:pointer;padding:4px 8px;border-radius:6px;font-size:12px;color:var(--fw-on-color,#fff);background:rgba(255,255,255,.18)}
.fw-head button:focus-visible{outline:2px solid #fff}
.fw-head [data-fw=minimise]{font-size:16px;line-height:1}
.fw-conn{font-size:12px;text-align:center;padding:4px;background:#fef3c7;color:#92400e}
.fw-greeting{margin:12px 14px 0;padding:10px 12px;border-radius:10px;background:#f3f4f6}
.fw-list{list-style:none;margin:0;padding:12px 14px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px}
.fw-msg{max-width:82%;display:flex;flex-direction:column;gap:2px}
.fw-msg[data-sender=visitor]{align-self:flex-end;align-items:flex-end}
.fw-msg[data-sender=operator]{align-self:flex-start}
.fw-msg[data-sender=system]{align-self:center;align-items:center;max-width:100%}
.fw-name{font-size:12px;color:#6b7280}
.fw-text{padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f4f6}
.fw-msg[data-sender=visitor] .fw-text{background:var(--fw-color,#2563eb);color:var(--fw-on-color,#fff)}
.fw-msg[data-sender=system] .fw-text{background:none;color:#6b7280;font-size:12px;padding:0}
.fw-msg[data-state=pending]{opacity:.65}
.fw-msg[data-state=failed] .fw-text{background:#fee2e2;color:#991b1b}
.fw-time{font-size:11px;color:#9ca3af}
.fw-mark{font-size:11px;color:#9ca3af}.fw-msg[data-read=true] .fw-mark{color:var(--fw-color,#2563eb)}
.fw-typing{font-size:12px;color:#6b7280;font-style:italic;padding:0 14px 6px}
.fw-msg button{all:unset;cursor:pointer;font-size:11px;color:#b91c1c;text-decoration:underline}
.fw-compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb}
.fw-compose textarea{flex:1;resize:none;height:40px;max-height:120px;padding:9px 10px;border:1px solid #d1d5db;
  border-radius:8px;font:inherit;color:inherit;background:#fff}
.fw-compose textarea:focus{outline:2px solid var(--fw-color,#2563eb);outline-offset:-1px}
.fw-compose button{all:unset;cursor:pointer;padding:0 14px;border-radius:8px;background:var(--fw-color,#2563eb);color:var(--fw-on-color,#fff);font-weight:600}
.fw-compose button:focus-visible{outline:2px solid #93c5fd}
.fw-topic{display:flex;align-items:center;gap:8px;margin:0 14px 8px;font-size:12px;color:#374151}
.fw-topic select{flex:1;padding:6px 8px;border:1px solid #d1d5db;border-radius:8px;font:inherit;color:inherit;background:#fff}
.fw-offline{margin:0 14px 10px;padding:10px 12px;border-radius:10px;background:#f3f4f6;color:#374151}
.fw-hours{font-size:12px;color:#6b7280;margin-top:4px}
.fw-error{font-size:12px;color:#b91c1c;padding:0 12px 8px}
.fw-offline-form,.fw-email{display:flex;flex-direction:column;gap:6px;margin-top:8px}
.fw-email{flex-direction:row;flex-wrap:wrap;margin:0 10px 10px;font-size:12px}
.fw-offline-form input,.fw-offline-form textarea,.fw-email input{padding:7px 9px;border:1px solid #d1d5db;border-radius:8px;font:inherit;color:inherit;background:#fff}
.fw-email input{flex:1 1 100%}
.fw-offline-form button,.fw-email button{all:unset;cursor:pointer;padding:6px 10px;border-radius:8px;background:var(--fw-color,#2563eb);color:var(--fw-on-color,#fff);text-align:center}
[hidden]{display:none!important}
`;
