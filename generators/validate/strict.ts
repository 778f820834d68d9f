/**
 * Strict validation: the models' own validators check types and required fields but accept any
 * unknown key. This layer runs the same validator over a recording proxy and reports every key the
 * schema never looked at: ajv-compiled validators read each declared property (present or not) and
 * enumerate maps (`additionalProperties`), so an object whose declared properties were read but
 * whose key was not is a key the schema does not know. An object the validator neither read nor
 * enumerated is free-form in the schema (e.g. a list generator's elements) and is left alone.
 */

export interface SchemaValidator {
  /** Throws on a type or required-field error; this is the model class's `prototype.validate`. */
  (this: unknown): void;
}

export interface StrictIssue {
  /** JSON pointer of the field. */
  readonly path: string;
  readonly message: string;
}

interface Seen {
  readonly target: object;
  readonly path: string;
  readonly read: Set<string>;
  enumerated: boolean;
}

export function strictValidate(validate: SchemaValidator, data: object): StrictIssue[] {
  const seen = new Map<object, Seen>();
  const proxies = new Map<object, object>();
  const wrap = (target: object, path: string): object => {
    const existing = proxies.get(target);
    if (existing) return existing;
    const record: Seen = { target, path, read: new Set(), enumerated: false };
    seen.set(target, record);
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        const value = Reflect.get(t, key, receiver);
        if (typeof key !== "string") return value;
        record.read.add(key);
        return value !== null && typeof value === "object" && Object.hasOwn(t, key) ? wrap(value, `${path}/${key}`) : value;
      },
      has(t, key) {
        if (typeof key === "string") record.read.add(key);
        return Reflect.has(t, key);
      },
      ownKeys(t) {
        record.enumerated = true;
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };

  const issues: StrictIssue[] = [];
  try {
    validate.call(wrap(data, ""));
  } catch (e) {
    issues.push({ path: "", message: (e as Error).message });
  }
  for (const r of seen.values()) {
    if (Array.isArray(r.target) || r.enumerated || r.read.size === 0) continue;
    for (const key of Object.keys(r.target)) {
      if (!r.read.has(key)) issues.push({ path: `${r.path}/${key}`, message: `unknown field "${key}" (not in the schema)` });
    }
  }
  return issues;
}
