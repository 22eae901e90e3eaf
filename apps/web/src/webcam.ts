/** The webcam: a live video and a button that takes a frame as a PNG file. */
import { $ } from './dom';
import { setStatus } from './state';

/** Wires the webcam buttons; each shot goes to `take` as a `webcam-<time>.png` file. */
export function wireWebcam(take: (f: File) => void): void {
  const start = $<HTMLButtonElement>('webcam');
  const shoot = $<HTMLButtonElement>('shoot');
  const video = $<HTMLVideoElement>('video');
  if (!navigator.mediaDevices?.getUserMedia) {
    start.disabled = true;
    start.title = 'this browser offers no camera here (needs https or localhost)';
    return;
  }
  start.addEventListener('click', async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      await video.play();
      video.hidden = false;
      shoot.hidden = false;
    } catch (e) {
      setStatus(`no camera: ${(e as Error).message}`, true);
    }
  });
  shoot.addEventListener('click', () => {
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    (c.getContext('2d') as CanvasRenderingContext2D).drawImage(video, 0, 0);
    c.toBlob((b) => {
      if (b)
        take(
          new File([b], `webcam-${new Date().toISOString().replace(/[:.]/g, '-')}.png`, {
            type: 'image/png',
          }),
        );
    }, 'image/png');
  });
}
