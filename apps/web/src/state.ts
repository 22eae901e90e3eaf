/**
 * The page's test hooks and status line: `document.body.dataset.state` is `ready`, `working`,
 * `done` or `error`; `<pre id="result">` holds the last result as JSON (the CLI's `FitRecord`
 * array, or `{"error": message}`); `#status` says the same to a person.
 */
import type { FitRecord } from '@3dmm-stn/fit';

export type PageState = 'ready' | 'working' | 'done' | 'error';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setState(state: PageState, message?: string): void {
  document.body.dataset.state = state;
  if (message !== undefined) setStatus(message, state === 'error');
}

export function setStatus(message: string, isError = false, log = true): void {
  // Also in the console: a test or a user sees which stage a slow backend is in.
  if (log) console.info(`[3dmm-stn web] ${message}`);
  const el = $('status');
  el.textContent = message;
  el.classList.toggle('error', isError);
}

/** Progress bar: `value` of `max` (bytes, steps); `null` hides it. */
export function setProgress(value: number | null, max = 1): void {
  const bar = $<HTMLProgressElement>('progress');
  bar.hidden = value === null;
  if (value !== null) {
    bar.max = max;
    bar.value = value;
  }
}

export function showRecords(records: FitRecord[]): void {
  $('result').textContent = JSON.stringify(records, null, 2);
}

/** The error hook: state `error`, `{"error": message}` in `#result`, the message in the status line. */
export function showError(message: string): void {
  $('result').textContent = JSON.stringify({ error: message }, null, 2);
  setState('error', message);
  setProgress(null);
}
