import { afterEach, describe, expect, it, vi } from "vitest";
import { adoptStyles } from "../src/shared/styles";

describe("adoptStyles", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("adopts a constructable stylesheet in a shadow root (no <style>, which a strict CSP blocks) and removes it", () => {
    const sheets: { css: string }[] = [];
    class Sheet {
      css = "";
      replaceSync(css: string) {
        this.css = css;
        sheets.push(this);
      }
    }
    vi.stubGlobal("CSSStyleSheet", Sheet);
    const host = document.createElement("floorwalker-widget");
    const root = host.attachShadow({ mode: "open" });
    Object.defineProperty(ShadowRoot.prototype, "adoptedStyleSheets", { configurable: true, writable: true, value: [] });
    try {
      const other = new Sheet();
      root.adoptedStyleSheets = [other as unknown as CSSStyleSheet];
      const remove = adoptStyles(root, ".a{color:red}", root);
      expect(root.querySelector("style")).toBeNull();
      expect(root.adoptedStyleSheets).toHaveLength(2);
      expect((root.adoptedStyleSheets[1] as unknown as Sheet).css).toBe(".a{color:red}");
      remove();
      expect(root.adoptedStyleSheets).toEqual([other]); // the others stay
    } finally {
      delete (ShadowRoot.prototype as { adoptedStyleSheets?: unknown }).adoptedStyleSheets;
    }
  });

  it("falls back to a <style> in the given parent without constructable stylesheets, or outside a shadow root", () => {
    const box = document.createElement("div");
    box.append(document.createElement("p"));
    const remove = adoptStyles(box, ".b{color:blue}", box);
    expect(box.firstElementChild!.tagName).toBe("STYLE");
    expect(box.firstElementChild!.textContent).toBe(".b{color:blue}");
    remove();
    expect(box.querySelector("style")).toBeNull();
  });
});
