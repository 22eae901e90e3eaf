import { BackendUnavailableError, WasmOutOfMemoryError } from '@3dmm-stn/backend';
import { ModelFileError } from '@3dmm-stn/backend/node';
import {
  EXIT_CODES,
  ModelFormatError,
  reportError,
  ShapeError,
  takeDebugFlag,
} from '@3dmm-stn/checks';
import { ImageFormatError, LandmarkFormatError } from '@3dmm-stn/datasets';
import { WeightImportError } from '@3dmm-stn/localiser';
import { GeometryError } from '@3dmm-stn/morphable-model';
import { PretrainedFileError } from '@3dmm-stn/pretrained';
import { describe, expect, it } from 'vitest';
import { InputError, LabelFormatError, UsageError } from '../src/errors';
import { loadTrainer, TrainerUnavailableError } from '../src/train';

// Every typed error of every library package (the trainer's own are tested in apps/trainer):
// one line on stderr, no stack trace, a documented exit code.
const TYPED: [Error, number][] = [
  [new UsageError('fit: --out is required'), EXIT_CODES.usage],
  [new InputError('a.jpg', 'cannot read image: Input file is missing'), EXIT_CODES.failure],
  [new ModelFormatError('m.bin', 'version', 'expected 1–4, got 9'), EXIT_CODES.failure],
  [new ShapeError('Error in f: x must have shape [B,2], but got [3].'), EXIT_CODES.failure],
  [new LandmarkFormatError('a.pts', 3, 'expected n_points: 68, got 3'), EXIT_CODES.failure],
  // Found by the fuzzer (scripts/fuzz): both printed as an internal error before.
  [new LabelFormatError('image00002.mat', 'expected a variable pt3d_68'), EXIT_CODES.failure],
  [new ImageFormatError('a.jpg', 'VipsJpeg: premature end of JPEG image'), EXIT_CODES.failure],
  [new GeometryError('tutteEmbedding: the mesh has no boundary.'), EXIT_CODES.failure],
  [new ModelFileError('loc/model.json', 'is not valid JSON.'), EXIT_CODES.failure],
  [new BackendUnavailableError('tensorflow', 'install @tensorflow/tfjs-node'), EXIT_CODES.usage],
  [new WasmOutOfMemoryError(2 ** 30, 2 ** 32), EXIT_CODES.outOfMemory],
  [new WeightImportError('vgg.h5', ['conv1_1: missing', 'fc8: shape']), EXIT_CODES.failure],
  [new PretrainedFileError('weights/model.json', 'invalid JSON'), EXIT_CODES.failure],
  [new TrainerUnavailableError(false, new Error('not found')), EXIT_CODES.usage],
  [
    Object.assign(new Error("ENOENT: no such file or directory, open 'x.bin'"), {
      code: 'ENOENT',
      path: 'x.bin',
      syscall: 'open',
    }),
    EXIT_CODES.failure,
  ],
];

describe('the error boundary', () => {
  it.each(TYPED.map(([e, code]) => [e.name, e, code] as const))(
    '%s → one line, no stack, its exit code',
    (_name, e, code) => {
      const r = reportError(e);
      expect(r.typed).toBe(true);
      expect(r.code).toBe(code);
      expect(r.text.endsWith('\n')).toBe(true);
      expect(r.text.trimEnd().split('\n')).toHaveLength(1);
      expect(r.text).toMatch(/^error: /);
      expect(r.text).not.toContain('    at ');
    },
  );

  it('a multi-line message (a list of problems) becomes one line', () => {
    const r = reportError(new WeightImportError('vgg.h5', ['conv1_1: missing', 'fc8: shape']));
    expect(r.text).toBe(
      'error: weights: vgg.h5: 2 problems importing weights: conv1_1: missing; fc8: shape\n',
    );
  });

  it('--debug adds the stack of a typed error', () => {
    const r = reportError(new GeometryError('no boundary'), { debug: true });
    expect(r.text).toContain('    at ');
    expect(r.code).toBe(EXIT_CODES.failure);
  });

  it('an untyped error is a bug: its stack and exit code 70', () => {
    const r = reportError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(r.typed).toBe(false);
    expect(r.code).toBe(70);
    expect(r.text).toContain('    at ');
    expect(reportError('a string').code).toBe(70);
  });

  it('takeDebugFlag takes --debug anywhere before "--"', () => {
    expect(takeDebugFlag(['fit', '--debug', 'a.jpg'])).toEqual({
      argv: ['fit', 'a.jpg'],
      debug: true,
    });
    expect(takeDebugFlag(['fit', '--', '--debug'])).toEqual({
      argv: ['fit', '--', '--debug'],
      debug: false,
    });
    expect(takeDebugFlag(['inspect'], { STN_DEBUG: '1' }).debug).toBe(true);
  });

  it('train: an absent trainer is TrainerUnavailableError, not a bug', async () => {
    await expect(loadTrainer('@3dmm-stn/no-such-trainer')).rejects.toBeInstanceOf(
      TrainerUnavailableError,
    );
  });
});
