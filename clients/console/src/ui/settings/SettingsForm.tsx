import type { ReactNode } from "react";
import type { FieldErrors, SettingsForm } from "../../lib/settings";

interface Props {
  form: SettingsForm;
  errors: FieldErrors;
  readOnly: boolean;
  onChange: (form: SettingsForm) => void;
}

type ListName = "sections" | "products" | "searches";

function FieldError({ errors, path }: { errors: FieldErrors; path: string }) {
  const message = errors[path];
  if (!message) return null;
  return (
    <span className="field-error" data-fw="settings-field-error" data-field={path}>
      {message}
    </span>
  );
}

interface InputProps {
  label: string;
  value: string;
  fw: string;
  path: string;
  errors: FieldErrors;
  readOnly: boolean;
  placeholder?: string;
  narrow?: boolean;
  onChange: (value: string) => void;
}

function Input({ label, value, fw, path, errors, readOnly, placeholder, narrow, onChange }: InputProps) {
  return (
    <label className={narrow ? "field narrow" : "field"}>
      <span className="field-label">{label}</span>
      <input
        data-fw={fw}
        value={value}
        placeholder={placeholder}
        disabled={readOnly}
        aria-invalid={errors[path] ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldError errors={errors} path={path} />
    </label>
  );
}

interface ListProps {
  title: string;
  hint: string;
  name: ListName;
  /** "section": names the data-fw hooks of a row ("settings-section-row", "settings-add-section"). */
  singular: string;
  addLabel: string;
  count: number;
  readOnly: boolean;
  errors: FieldErrors;
  onAdd: () => void;
  onRemove: (index: number) => void;
  renderRow: (index: number) => ReactNode;
}

function RowList(props: ListProps) {
  const { title, hint, name, singular, addLabel, count, readOnly, errors, onAdd, onRemove, renderRow } = props;
  return (
    <fieldset className="settings-list" data-fw={`settings-${name}`}>
      <legend>{title}</legend>
      <p className="muted hint">{hint}</p>
      {count === 0 && <p className="empty">None.</p>}
      {Array.from({ length: count }, (_, i) => (
        <div className="settings-row" key={i} data-fw={`settings-${singular}-row`}>
          {renderRow(i)}
          {!readOnly && (
            <button
              type="button"
              data-fw="settings-remove"
              aria-label={`Remove ${singular} ${i + 1}`}
              onClick={() => onRemove(i)}
            >
              Remove
            </button>
          )}
          <FieldError errors={errors} path={`${name}.${i}`} />
        </div>
      ))}
      {!readOnly && (
        <button type="button" data-fw={`settings-add-${singular}`} onClick={onAdd}>
          {addLabel}
        </button>
      )}
    </fieldset>
  );
}

/** The editable rows of a site's tracking settings (disabled when the user may only read them). */
export function SettingsFields({ form, errors, readOnly, onChange }: Props) {
  const edit = <K extends ListName>(name: K, index: number, patch: Partial<SettingsForm[K][number]>) =>
    onChange({ ...form, [name]: form[name].map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  const remove = (name: ListName, index: number) =>
    onChange({ ...form, [name]: form[name].filter((_, i) => i !== index) });
  const common = { errors, readOnly };

  return (
    <>
      <RowList
        title="Sections"
        hint="The section of a page is the first pattern that matches its URL path (* = any characters)."
        name="sections"
        singular="section"
        addLabel="Add section"
        count={form.sections.length}
        {...common}
        onAdd={() => onChange({ ...form, sections: [...form.sections, { name: "", pattern: "" }] })}
        onRemove={(i) => remove("sections", i)}
        renderRow={(i) => (
          <>
            <Input
              label="Name"
              fw="settings-section-name"
              path={`sections.${i}.name`}
              value={form.sections[i].name}
              placeholder="Laptops"
              {...common}
              onChange={(name) => edit("sections", i, { name })}
            />
            <Input
              label="Pattern"
              fw="settings-section-pattern"
              path={`sections.${i}.pattern`}
              value={form.sections[i].pattern}
              placeholder="/laptops/*"
              {...common}
              onChange={(pattern) => edit("sections", i, { pattern })}
            />
          </>
        )}
      />
      <RowList
        title="Product pages"
        hint="{sku} captures one path segment; the page title names the product."
        name="products"
        singular="product"
        addLabel="Add product pattern"
        count={form.products.length}
        {...common}
        onAdd={() => onChange({ ...form, products: [...form.products, { pattern: "" }] })}
        onRemove={(i) => remove("products", i)}
        renderRow={(i) => (
          <Input
            label="Pattern"
            fw="settings-product-pattern"
            path={`products.${i}.pattern`}
            value={form.products[i].pattern}
            placeholder="/product/{sku}"
            {...common}
            onChange={(pattern) => edit("products", i, { pattern })}
          />
        )}
      />
      <RowList
        title="Search pages"
        hint="The words searched are read from this query parameter of pages matching the pattern."
        name="searches"
        singular="search"
        addLabel="Add search page"
        count={form.searches.length}
        {...common}
        onAdd={() => onChange({ ...form, searches: [...form.searches, { pattern: "", param: "q" }] })}
        onRemove={(i) => remove("searches", i)}
        renderRow={(i) => (
          <>
            <Input
              label="Pattern"
              fw="settings-search-pattern"
              path={`searches.${i}.pattern`}
              value={form.searches[i].pattern}
              placeholder="/search"
              {...common}
              onChange={(pattern) => edit("searches", i, { pattern })}
            />
            <Input
              label="Parameter"
              fw="settings-search-param"
              path={`searches.${i}.param`}
              value={form.searches[i].param}
              placeholder="q"
              {...common}
              onChange={(param) => edit("searches", i, { param })}
            />
          </>
        )}
      />
      <fieldset className="settings-list">
        <legend>Retention</legend>
        <Input
          label="Keep page views and visits for (days; empty = keep them)"
          fw="settings-retention"
          path="retention_days"
          value={form.retention}
          placeholder="365"
          narrow
          {...common}
          onChange={(retention) => onChange({ ...form, retention })}
        />
      </fieldset>
    </>
  );
}
