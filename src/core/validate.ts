// Schema validation for what airgap reads (config, catalog, drive.json, snapshot.json), through
// valibot. Every airgap command parses its config, so the validator's load time is paid on every
// run: zod 4 took ~95 ms of CPU to import (95 module files), valibot takes ~9 ms (one file).
// Callers see one result shape, so that the library stays behind this file and a message names
// the field ("policy.offline: …") the same way everywhere.
import * as v from 'valibot';

export { v };

export type Checked<T> = { ok: true; value: T } | { ok: false; path: (string | number)[]; message: string };

/** Validates `input`; on failure, the first problem with the path of the field it is in. */
export function check<S extends v.GenericSchema>(schema: S, input: unknown): Checked<v.InferOutput<S>> {
  // abortPipeEarly: a check later in a pipe never sees a value an earlier step refused.
  const r = v.safeParse(schema, input, { abortPipeEarly: true });
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  const path = (issue.path ?? []).map((p) => (typeof p.key === 'number' ? p.key : String(p.key)));
  return { ok: false, path, message: issue.message };
}

/** Validates `input`, or throws an Error naming the field (for callers that treat any failure alike). */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const r = check(schema, input);
  if (!r.ok) throw new Error(`${r.path.join('.') || '(root)'}: ${r.message}`);
  return r.value;
}

// Building blocks. valibot's object schemas take an array for an object (typeof [] is 'object'):
// a config or catalog where an object belongs must be refused, not read as all defaults.
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const record = () => v.custom<Record<string, unknown>>(isRecord, 'expected an object');
/** An object: unknown keys are dropped. */
export const object = <E extends v.ObjectEntries>(entries: E) => v.pipe(record(), v.object(entries));
/** An object that refuses unknown keys (a config: a misspelt key must not be ignored). */
export const strictObject = <E extends v.ObjectEntries>(entries: E) => v.pipe(record(), v.strictObject(entries));

/**
 * An optional object whose absence means the defaults of its fields: derived from the schema
 * itself (parsing {}), so that no default is written twice.
 */
export const defaulted = <S extends v.GenericSchema>(schema: S) => v.optional(schema, () => v.parse(schema, {}) as v.InferInput<S>);
/** A finite number (JSON has no Infinity, but 1e400 parses to it). */
export const finite = () => v.pipe(v.number('a number'), v.finite('a finite number'));
/** A whole number in the safe range, at least `min` (and at most `max`). */
export const whole = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number('a number'), v.safeInteger('a whole number'), v.minValue(min, `at least ${min}`), v.maxValue(max, `at most ${max}`));
/** A share of a whole: 0 to 1. */
export const share = () => v.pipe(v.number('a number from 0 to 1'), v.minValue(0, 'at least 0'), v.maxValue(1, 'at most 1'));
/**
 * A UTC timestamp: airgap writes Date.toISOString (2026-03-02T09:00:00.000Z) and reads what
 * format 1 readers always took (docs/FORMAT.md): seconds and their fraction optional, `Z` only.
 */
export const isoUtc = () => v.pipe(
  v.string(),
  v.regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?Z$/, 'a UTC timestamp like 2026-03-02T09:00:00.000Z'),
  // The calendar: no 30 February (Date would roll it over to 2 March).
  v.check((s) => {
    const day = new Date(s.slice(0, 10));
    return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === s.slice(0, 10);
  }, 'not a date in the calendar'),
);
