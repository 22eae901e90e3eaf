/** Downloads: a blob or text offered as a file, canvases as PNG, the buttons that do it. */
import { setStatus } from './state';

export function download(
  name: string,
  data: Blob | string,
  type = 'application/octet-stream',
): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const pngOf = (canvas: HTMLCanvasElement) =>
  new Promise<Blob>((ok, fail) =>
    canvas.toBlob((b) => (b ? ok(b) : fail(new Error('PNG encoding failed'))), 'image/png'),
  );

/** A button whose (possibly async) action reports a failure in the status line. */
export function button(
  label: string,
  cls: string,
  onClick: () => void | Promise<void>,
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.className = cls;
  b.addEventListener('click', () => {
    Promise.resolve(onClick()).catch((e) =>
      setStatus(`download failed: ${(e as Error).message}`, true),
    );
  });
  return b;
}
