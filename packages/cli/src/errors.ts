/** Bad usage: a missing or invalid argument or flag (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A per-input failure the batch commands report with the input's path before going on. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Exit codes of every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A label file `eval` cannot use: the wrong variables, shape or format. Names the file and what
 * was expected, so that one bad file in a folder of 2,000 is found at once.
 */
export class LabelFormatError extends InputError {
  override readonly name = 'LabelFormatError';
  constructor(
    file: string,
    readonly expected: string,
  ) {
    super(file, expected);
  }
}

/**
 * ffmpeg / ffprobe are not on PATH (or `STN_FFMPEG` / `STN_FFPROBE` name a missing program):
 * `track` on a video needs them (exit 2, like a missing backend: a component to install).
 */
export class FfmpegUnavailableError extends Error {
  override readonly name = 'FfmpegUnavailableError';
  readonly remedy =
    'install the Debian package `ffmpeg` (apt-get install ffmpeg), set STN_FFMPEG / STN_FFPROBE to the programs, or give a folder of frames instead';
  constructor(readonly program: string) {
    super(`${program}: not found on PATH (decoding a video needs ffmpeg and ffprobe)`);
  }
}

/** A file ffmpeg cannot decode: not a video, no video stream, or a codec it cannot read (exit 1). */
export class VideoFormatError extends InputError {
  override readonly name = 'VideoFormatError';
}

/** `track`: no face in any frame of the clip (exit 1). */
export class NoFaceError extends InputError {
  override readonly name = 'NoFaceError';
}

/**
 * `track`: the face was lost and not found again until the end of the clip (exit 1; the frames
 * tracked before are written).
 */
export class FaceLostError extends InputError {
  override readonly name = 'FaceLostError';
}
