/**
 * What is fuzzed: every kind of input a user hands over, grouped in kinds (models, images,
 * labels, weights, configs, checkpoints), each kind made of formats with their seed files (real
 * fixtures read in place, or files the project's own writers make from them) and the call a
 * program makes on such a file.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { selectBackend } from '@3dmm-stn/backend/node';
import { formatPts, parsePts } from '@3dmm-stn/datasets';
import { decodeRgb, parseDlibXml } from '@3dmm-stn/datasets/node';
import {
  loadModel,
  readEosBlendshapes,
  readEosModel,
  writeModel,
} from '@3dmm-stn/morphable-model/node';
import { loadPretrainedFromFiles } from '@3dmm-stn/pretrained';
import * as tf from '@tensorflow/tfjs';
import sharp, { type Sharp } from 'sharp';
import YAML from 'yaml';
import {
  assignWeights,
  loadCheckpoint,
  restoreOptimizer,
  saveCheckpoint,
} from '../../apps/trainer/src/checkpoint';
import { defaultConfig, loadConfig } from '../../apps/trainer/src/config';
import { GroupOptimizer } from '../../apps/trainer/src/optimizer';
import { parseAflwMat } from '../../packages/cli/src/eval/aflw';
import { writeBfmH5, bowl, orthonormal } from '../../packages/morphable-model/test/io-h5';
import { face, bfm2009Vars, frontVars } from '../../packages/morphable-model/test/mat-models';
import { num, writeMat } from '../../packages/morphable-model/test/mat-writer';
import { writeMatV73 } from '../../packages/morphable-model/test/mat-v73-writer';
import { fixturePath, ictModelDir, REPO_ROOT } from '../../testing/fixtures';
import type { MutationProfile } from './mutate';

export const KINDS = ['models', 'images', 'labels', 'weights', 'configs', 'checkpoints'] as const;
export type Kind = (typeof KINDS)[number];

/** One file of an input: its name in the input's folder, its bytes, and whether it is text. */
export interface InputFile {
  name: string;
  bytes: Uint8Array;
  text: boolean;
}

export interface Format {
  name: string;
  kind: Kind;
  profile: MutationProfile;
  /** The seeds: each a set of files (an input = one seed with one of its files mutated). */
  seeds(tmp: string): Promise<InputFile[][]>;
  /** Indices of a seed's files that mutations touch (default: all). */
  mutable?: number[];
  /** What a program does with such an input; resolves when it is accepted. */
  run(files: InputFile[], tmp: string): Promise<void>;
}

const FACE_API_DEMO = resolve(REPO_ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo');
const REAL_FACES = resolve(REPO_ROOT, '..', 'shared', 'data', 'real-faces');

const bin = (name: string, bytes: Uint8Array): InputFile => ({ name, bytes, text: false });
const txt = (name: string, bytes: Uint8Array | string): InputFile => ({
  name,
  bytes: typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes,
  text: true,
});
const read = async (p: string) => new Uint8Array(await readFile(p));
const decode = (f: InputFile) => new TextDecoder().decode(f.bytes);

/** Writes an input's files into `dir` (emptied first) and returns the dir. */
async function writeInput(dir: string, files: InputFile[]): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await mkdir(resolve(dir, f.name, '..'), { recursive: true });
    await writeFile(join(dir, f.name), f.bytes);
  }
  return dir;
}

/** Real landmarks of real faces (dlib's predictor on the shared photos), [68, 2] each. */
async function realLandmarks(): Promise<Float32Array[]> {
  const xml = await readFile(join(REAL_FACES, 'dlib', 'testing_with_face_landmarks.xml'), 'utf8');
  return parseDlibXml(xml, 'testing_with_face_landmarks.xml')
    .flatMap((img) => img.faces.map((f) => f.landmarks))
    .filter((l): l is Float32Array => !!l)
    .slice(0, 8);
}

const sample = (k: number) => join(FACE_API_DEMO, `sample${k}.jpg`);

async function smallImages(encode: (s: Sharp) => Sharp): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const k of [1, 2, 3, 4]) {
    const s = sharp(sample(k)).resize({ width: 96 + 16 * k });
    out.push(new Uint8Array(await encode(s).toBuffer()));
  }
  return out;
}

const modelFormat = (
  name: string,
  text: boolean,
  seeds: (tmp: string) => Promise<InputFile[][]>,
): Format => ({
  name,
  kind: 'models',
  profile: { text, image: false },
  seeds,
  async run(files) {
    await loadModel(files[0].bytes);
  },
});

export const FORMATS: Format[] = [
  // --- models ---
  modelFormat('eos .bin', false, async () => [
    [bin('m.bin', await read(fixturePath('sfm', 'sfm_shape_3448.bin')))],
  ]),
  {
    name: 'eos blendshapes .bin',
    kind: 'models',
    profile: { text: false, image: false },
    async seeds() {
      return [[bin('b.bin', await read(fixturePath('sfm', 'expression_blendshapes_3448.bin')))]];
    },
    async run(files) {
      readEosBlendshapes(files[0].bytes, 'b.bin');
    },
  },
  modelFormat('.3dmm', false, async () => [
    [bin('m.3dmm', writeModel(readEosModel(await read(fixturePath('sfm', 'sfm_shape_3448.bin')))))],
  ]),
  modelFormat('OBJ', true, async () => [
    [txt('m.obj', await read(fixturePath('sfm', 'sfm_reference.obj')))],
  ]),
  modelFormat('MAT level 5', false, async () => [
    [bin('front.mat', writeMat(frontVars(face(6, 8)), { compress: true }))],
    [
      bin(
        'front-be.mat',
        writeMat(frontVars(face(6, 8)), { compress: false, littleEndian: false }),
      ),
    ],
    [bin('bfm2009.mat', writeMat(bfm2009Vars(face(5, 7)), { compress: false }))],
  ]),
  {
    name: 'MAT v7.3',
    kind: 'models',
    profile: { text: false, image: false },
    async seeds() {
      return [[bin('front73.mat', await writeMatV73(frontVars(face(6, 8))))]];
    },
    async run(files, tmp) {
      const p = join(tmp, 'input73.mat');
      await writeFile(p, files[0].bytes);
      await loadModel(p);
    },
  },
  {
    name: 'BFM .h5',
    kind: 'models',
    profile: { text: false, image: false },
    async seeds(tmp) {
      const { mean, triangles } = bowl();
      const p = join(tmp, 'seed.h5');
      await writeBfmH5(p, {
        shape: { mean, basis: orthonormal(27, 2, 1), variance: [4, 1] },
        triangles,
      });
      return [[bin('m.h5', await read(p))]];
    },
    async run(files, tmp) {
      const p = join(tmp, 'input.h5');
      await writeFile(p, files[0].bytes);
      await loadModel(p);
    },
  },
  {
    name: 'ICT folder',
    kind: 'models',
    profile: { text: true, image: false },
    async seeds() {
      const dir = join(ictModelDir(), 'face');
      const names = [
        'generic_neutral_mesh.obj',
        'identity000.obj',
        'identity001.obj',
        'jawOpen.obj',
        'mouthSmile_L.obj',
      ];
      return [await Promise.all(names.map(async (n) => txt(n, await read(join(dir, n)))))];
    },
    async run(files, tmp) {
      await loadModel(await writeInput(join(tmp, 'ict'), files));
    },
  },

  // --- images (through decodeRgb, the one decode of the trainer and the CLI) ---
  ...(
    [
      [
        'JPEG',
        async () => [...[1, 2, 3, 4, 5, 6].map((k) => sample(k))].map(async (p) => read(p)),
        (s: Sharp) => s.jpeg({ quality: 80 }),
      ],
      ['JPEG progressive', async () => [], (s: Sharp) => s.jpeg({ progressive: true })],
      [
        'PNG',
        async () =>
          [
            join(REAL_FACES, 'face-api-js', 'amy_amy1.png'),
            join(REAL_FACES, 'face-api-js', 'amy_amy2.png'),
          ].map(async (p) => read(p)),
        (s: Sharp) => s.png(),
      ],
      ['WebP lossy', async () => [], (s: Sharp) => s.webp({ quality: 70 })],
      ['WebP lossless', async () => [], (s: Sharp) => s.webp({ lossless: true })],
      ['WebP alpha', async () => [], (s: Sharp) => s.ensureAlpha(0.5).webp({ quality: 70 })],
    ] as const
  ).map(
    ([name, real, encode]): Format => ({
      name,
      kind: 'images',
      profile: { text: false, image: true },
      async seeds() {
        const full = await Promise.all(await real());
        const small = await smallImages(encode);
        return [...full, ...small].map((b, i) => [bin(`image${i}`, b)]);
      },
      async run(files) {
        await decodeRgb(files[0].bytes, files[0].name);
      },
    }),
  ),

  // --- labels ---
  {
    name: '.pts',
    kind: 'labels',
    profile: { text: true, image: false },
    async seeds() {
      return (await realLandmarks()).map((l, i) => [txt(`face${i}.pts`, formatPts(l))]);
    },
    async run(files) {
      parsePts(decode(files[0]), files[0].name);
    },
  },
  {
    name: 'dlib XML',
    kind: 'labels',
    profile: { text: true, image: false },
    async seeds() {
      const dir = join(REAL_FACES, 'dlib');
      return [
        [
          txt(
            'testing_with_face_landmarks.xml',
            await read(join(dir, 'testing_with_face_landmarks.xml')),
          ),
        ],
        [txt('training.xml', await read(join(dir, 'training.xml')))],
      ];
    },
    async run(files, tmp) {
      parseDlibXml(decode(files[0]), files[0].name, tmp);
    },
  },
  {
    name: 'AFLW2000-3D .mat',
    kind: 'labels',
    profile: { text: false, image: false },
    async seeds() {
      return (await realLandmarks()).slice(0, 4).map((lm, i) => {
        const pt = new Float64Array(3 * 68);
        for (let k = 0; k < 68; k++) {
          pt[3 * k] = lm[2 * k] + 1;
          pt[3 * k + 1] = lm[2 * k + 1] + 1;
          pt[3 * k + 2] = 10 * k;
        }
        const vars = {
          pt3d_68: num('double', [3, 68], pt),
          Pose_Para: num('single', [1, 7], [0.1 * i, -0.2, 0.05, 200, 210, 0, 0.0015]),
          pt2d: num('double', [2, 21], new Float64Array(42)),
        };
        return [bin(`image0000${i}.mat`, writeMat(vars, { compress: i % 2 === 0 }))];
      });
    },
    async run(files) {
      await parseAflwMat(files[0].bytes, files[0].name);
    },
  },

  // --- network weights (the pretrained network's three files) ---
  {
    name: 'pretrained model.json + weights.bin',
    kind: 'weights',
    profile: { text: true, image: false },
    async seeds() {
      const dir = join(REPO_ROOT, 'packages', 'pretrained', 'weights');
      return [
        [
          txt('model.json', await read(join(dir, 'model.json'))),
          bin('weights.bin', await read(join(dir, 'weights.bin'))),
          txt('pretrained.json', await read(join(dir, 'pretrained.json'))),
        ],
      ];
    },
    async run(files) {
      const [m, w, meta] = files;
      const net = await loadPretrainedFromFiles({
        modelJson: m.bytes,
        weights: w.bytes,
        meta: meta.bytes,
        names: { modelJson: m.name, weights: w.name, meta: meta.name },
      });
      net.model.dispose();
    },
  },

  // --- trainer configs ---
  {
    name: 'YAML',
    kind: 'configs',
    profile: { text: true, image: false },
    async seeds() {
      return [
        [txt('demo.yaml', await read(join(REPO_ROOT, 'apps', 'trainer', 'demo.yaml')))],
        [
          txt(
            'pretrained.yaml',
            await read(join(REPO_ROOT, 'packages', 'pretrained', 'train', 'pretrained.yaml')),
          ),
        ],
        [txt('full.yaml', YAML.stringify(defaultConfig()))],
      ];
    },
    async run(files, tmp) {
      const p = join(tmp, files[0].name);
      await writeFile(p, files[0].bytes);
      await loadConfig({ file: p });
    },
  },
  {
    name: 'JSON',
    kind: 'configs',
    profile: { text: true, image: false },
    async seeds() {
      return [[txt('config.json', JSON.stringify(defaultConfig(), null, 1))]];
    },
    async run(files, tmp) {
      const p = join(tmp, files[0].name);
      await writeFile(p, files[0].bytes);
      await loadConfig({ file: p });
    },
  },

  // --- checkpoints (resume: load, assign to the network's variables, restore the optimiser) ---
  {
    name: 'checkpoint',
    kind: 'checkpoints',
    profile: { text: true, image: false },
    async seeds(tmp) {
      const vars = checkpointVariables();
      const opt = optimizer(vars);
      const dir = join(tmp, 'seed-ckpt');
      await saveCheckpoint(
        dir,
        {
          step: 3,
          seed: 1,
          optimizer: { kind: 'adam', t: 3 },
          best: { step: 2, nme: 0.1 },
          elapsed: 1.5,
        },
        vars.map((v) => ({ name: v.name, tensor: v.val })),
        await opt.state(),
        2,
      );
      for (const v of vars) v.val.dispose();
      return [
        [
          txt('latest.json', await read(join(dir, 'latest.json'))),
          txt(
            'step-00000003/checkpoint.json',
            await read(join(dir, 'step-00000003', 'checkpoint.json')),
          ),
          bin('step-00000003/weights.bin', await read(join(dir, 'step-00000003', 'weights.bin'))),
        ],
      ];
    },
    async run(files, tmp) {
      const dir = await writeInput(join(tmp, 'ckpt'), files);
      const ck = await loadCheckpoint(dir);
      const vars = checkpointVariables();
      const opt = optimizer(vars);
      try {
        assignWeights(dir, vars, ck.weights);
        restoreOptimizer(dir, opt, ck);
      } finally {
        for (const w of ck.weights) w.dispose();
        for (const v of vars) v.val.dispose();
        opt.dispose();
      }
    },
  },
];

const optimizer = (vars: { val: tf.Variable }[]) =>
  new GroupOptimizer([{ name: 'all', variables: vars.map((v) => v.val), lrMultiplier: 1 }], {
    kind: 'adam',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    momentum: 0,
    slots: 'host',
  });

/** A small network's variables (conv, bias, dense) with fixed values. */
function checkpointVariables(): { name: string; val: tf.Variable }[] {
  const shapes: [string, number[]][] = [
    ['conv/kernel', [3, 3, 3, 4]],
    ['conv/bias', [4]],
    ['dense/kernel', [16, 10]],
    ['dense/bias', [10]],
  ];
  return shapes.map(([name, shape], k) => ({
    name,
    val: tf.variable(
      tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', k + 1)),
      true,
      `${name}-${Math.random()}`,
    ),
  }));
}

/** The backend the fuzzed calls need (tfjs for weights and checkpoints). */
export async function setupBackend(): Promise<void> {
  await selectBackend({ backend: 'cpu' });
}
