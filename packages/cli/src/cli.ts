/**
 * The `3dmm-stn` program: commander wiring, exit codes and error reporting.
 * Exit codes (README, `EXIT_CODES` of @3dmm-stn/checks): 0 success, 1 an input could not be used
 * (including any input of a batch that failed), 2 bad usage, 3 out of memory, 70 a bug (with its
 * stack trace), 130 interrupted. Every typed error is one line on stderr; `--debug` adds stacks.
 */
import { reportError as describeError, takeDebugFlag } from '@3dmm-stn/checks';
import { Command, CommanderError } from 'commander';
import { convertCommand } from './commands/convert';
import { inspectCommand } from './commands/inspect';
import { renderCommand } from './commands/render';
import { resampleCommand } from './commands/resample';
import { tutteCommand } from './commands/tutte';
import { EXIT_OK, EXIT_USAGE } from './errors';
import { type CliIO, processIO } from './io';
import { runTrain } from './train';

const BACKEND_HELP =
  'tfjs backend: auto, wasm, cpu, tensorflow, tensorflow-gpu (default: $STN_BACKEND, else auto)';

/** The program: global options, then each subcommand in the order `--help` lists them. */
function buildProgram(io: CliIO, setCode: (code: number) => void): Command {
  const program = new Command('3dmm-stn')
    .description(
      '3D morphable models as spatial transformers: fit face photos, sample UV textures, embed, resample, convert, inspect, render, train.',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .option('--debug', 'print stack traces of errors (also STN_DEBUG=1)');
  addFitCommand(program, io, setCode);
  addEvalCommand(program, io, setCode);
  addPseudoLabelCommand(program, io, setCode);
  addSampleCommand(program, io);
  addTutteCommand(program, io);
  addResampleCommand(program, io);
  addConvertCommand(program, io);
  addInspectCommand(program, io);
  addRenderCommand(program, io);
  addTrainCommand(program);
  return program;
}

/** `fit`: detect, fit and write the files of every face of every photo. */
function addFitCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  addFitOptions(
    program
      .command('fit')
      .description(
        'Detect faces and 68 landmarks, fit θ (localiser or per-image optimisation), write UV texture, mask, preview, OBJ and a JSON record per face',
      )
      .argument('<images...>', 'face photos (JPEG, PNG, WebP)')
      .option('-o, --out <dir>', 'output folder (created if missing)')
      .option(
        '--model <file>',
        'morphable model (.3dmm, eos .bin, BFM .h5, BFM 2009 .mat, .obj; default: the embedded model)',
      )
      .option('--landmarks <file>', 'eos ibug→vertex landmark mapping for --model')
      .option(
        '--localiser <dir>',
        "'pretrained' (the shipped network) or a trained network folder (model.json + weights.bin): θ in one pass from the face crop instead of optimisation",
      )
      .option(
        '--refine <n>',
        'with --localiser: polish θ with N optimisation steps against the detected landmarks',
      ),
  )
    .option('--res <n>', 'UV grid side', '112')
    .option('--steps <n>', 'optimisation steps (Adam on θ) after the closed-form start', '10')
    .option(
      '--init <how>',
      "initial θ: 'closed-form' (pose and shape by linear solves, as eos) or 'pose' (mean shape)",
      'closed-form',
    )
    .option(
      '--max-faces <n>',
      'fit at most this many faces per image, largest first (default: all)',
    )
    .option('--min-confidence <x>', 'face detector score threshold', '0.5')
    .option('--backend <name>', BACKEND_HELP)
    .option('--json', 'print the records of all faces as JSON on stdout (no progress bar)')
    .action(async (images: string[], opts) => {
      // tfjs, face-api and the STN load only for the commands that need them.
      const { fitCommand } = await import('./commands/fit');
      setCode(await fitCommand(images, opts, io));
    });
}

/** `eval`: score the fit (and a localiser, the detector) against landmark labels. */
function addEvalCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  program
    .command('track')
    .description(
      'Track faces through a video (ffmpeg) or a folder of frames: per-frame fit records (JSONL), overlay, fused UV texture + coverage and the textured OBJ of each person',
    )
    .argument(
      '<input>',
      'a video file (anything ffmpeg reads) or a folder of frames (image files in name order)',
    )
    .option('-o, --out <dir>', 'output folder (created if missing)')
    .option('--model <file>', 'morphable model (default: the embedded model)')
    .option('--landmarks <file>', 'eos ibug→vertex landmark mapping for --model')
    .option('--res <n>', 'UV grid side', '112')
    .option('--shape-modes <n>', "identity modes (default: the model's fitting default)")
    .option(
      '--expressions <list>',
      "expression modes: a count, names or 'all' (default: the model's fitting default)",
    )
    .option('--contour <on|off>', 'contour-aware jaw points (default on when the model has them)')
    .option(
      '--per-frame <how>',
      "θ of a followed face: closed-form (this frame's closed form; pose and expressions once the identity is fixed) or warm (the previous θ re-posed, then Adam)",
      'closed-form',
    )
    .option(
      '--steps <n>',
      'Adam steps per followed frame after its start (default 0 for closed-form, 5 for warm)',
    )
    .option(
      '--detect-steps <n>',
      'Adam steps after the closed form on frames where the face is detected',
      '10',
    )
    .option(
      '--identity-frames <n>',
      'frames whose identity is averaged before it is fixed for the clip',
      '15',
    )
    .option(
      '--lost-threshold <x>',
      "lost when the fit's landmark RMS exceeds this many eye-corner distances",
      '0.2',
    )
    .option(
      '--face-check <on|off>',
      'check with the tiny face detector that the followed square still holds a face',
      'on',
    )
    .option(
      '--filter <on|off>',
      'One Euro filter of pose, translation, scale and expressions',
      'on',
    )
    .option('--max-faces <n>', 'track at most this many faces (default: all found)')
    .option('--min-confidence <x>', 'face detector score threshold', '0.5')
    .option(
      '--redetect-every <n>',
      'also run the detector every N frames for new faces (0: only when a face is lost)',
      '0',
    )
    .option(
      '--overlay <kind>',
      'png (a PNG per frame), mp4 (ffmpeg) or none (default: mp4 for a video, png for frames)',
    )
    .option('--fps <x>', 'frame rate of a folder of frames', '25')
    .option('--scale <width>', 'scale frames to this width (height keeps the aspect)')
    .option('--start <seconds>', 'start this far into the video')
    .option('--max-frames <n>', 'read at most this many frames')
    .option('--backend <name>', BACKEND_HELP)
    .option('--json', 'print the JSONL records on stdout as they come, then {"summary": …}')
    .action(async (input: string, opts) => {
      const { trackCommand } = await import('./commands/track');
      setCode(await trackCommand(input, opts, io));
    });

  addFitOptions(
    program
      .command('eval')
      .description(
        'Landmark error (NME by eye-corner distance and by box; AFLW2000-3D protocol: 68 points, mean of |yaw| bucket means) and head-pose error of fit, a localiser, localiser + refine and the detector against labelled faces',
      )
      .argument('<images...>', 'photos or folders of photos')
      .option(
        '--labels <files...>',
        'dlib XML files (e.g. training_ and testing_with_face_landmarks.xml), a folder of .pts files or a folder of AFLW2000-3D .mat files',
      )
      .option(
        '--crop <from>',
        "detector: the face square from face detection; labels: 3DDFA's square from the ground-truth landmarks",
        'detector',
      )
      .option('--method <m>', 'fit, localiser or both (the detector is always reported)', 'both')
      .option('--localiser <dir>', "'pretrained' or a trained network folder")
      .option('--refine <n>', 'also score the localiser refined with N optimisation steps')
      .option('--steps <n>', "optimisation steps of fit (default: fit's)")
      .option('--model <file>', 'morphable model (default: the embedded model)'),
  )
    .option('--landmarks <file>', 'eos ibug→vertex landmark mapping for --model')
    .option('--min-confidence <x>', 'face detector score threshold', '0.5')
    .option('--backend <name>', BACKEND_HELP)
    .option('--json', 'print the full result (every face) as JSON on stdout')
    .action(async (images: string[], opts) => {
      const { evalCommand } = await import('./commands/eval');
      setCode(await evalCommand(images, opts, io));
    });
}

/** `pseudo-label`: face-api boxes and 68 landmarks of every face as training labels (.pts + manifest). */
function addPseudoLabelCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  program
    .command('pseudo-label')
    .description(
      'Training data for the pretrained localiser: face-api boxes and 68 landmarks (pseudo-labels) of every face as .pts files and a manifest.json; photos named by --exclude XMLs are left out whole',
    )
    .argument('<images...>', 'photos or folders of photos')
    .option('-o, --out <dir>', 'output folder (pts/ and manifest.json)')
    .option('--exclude <xml...>', 'dlib XML label files whose photos must not be used')
    .option('--min-confidence <x>', 'face detector score threshold', '0.5')
    .option(
      '--textures',
      'also fit each face and write its UV texture (textures/, RGBA, alpha = mask) for synthetic training data',
    )
    .option('--texture-res <n>', 'UV grid side of --textures', '112')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (images: string[], opts) => {
      const { pseudoLabel } = await import('./commands/pseudo_label');
      setCode((await pseudoLabel(images, opts, io)).code);
    });
}

/** `sample`: the UV texture of a photo under a given θ. */
function addSampleCommand(program: Command, io: CliIO): void {
  program
    .command('sample')
    .description('STN forward pass on a given θ: sample an image into the UV grid')
    .requiredOption('--image <file>', 'input image')
    .requiredOption('--theta <file>', 'θ JSON (an array, or a fit record with "theta")')
    .option('--model <file>', 'morphable model (default: the embedded model)')
    .option('--landmarks <file>', 'eos landmark mapping for --model')
    .option('--res <n>', 'UV grid side', '112')
    .requiredOption('-o, --out <file>', 'UV image PNG')
    .option('--mask <file>', 'also write the visibility mask PNG')
    .option('--masked <file>', 'also write the masked UV PNG')
    .option('--backend <name>', BACKEND_HELP)
    .option('--json', 'print a JSON summary on stdout')
    .action(async (opts) => {
      const { sampleCommand } = await import('./commands/sample');
      await sampleCommand(opts, io);
    });
}

/** `tutte`: a Tutte embedding of a mesh, and its UV layout image. */
function addTutteCommand(program: Command, io: CliIO): void {
  program
    .command('tutte')
    .description(
      'Tutte embedding of a mesh or model into the unit square/disc: UVs as JSON or a drawn layout PNG, with the fold count',
    )
    .argument('<mesh>', 'mesh or model file (.obj, .3dmm, eos .bin, BFM .h5, BFM 2009 .mat)')
    .option('-o, --out <file>', 'uv.json (UVs) or uv.png (drawing)')
    .option('--weights <kind>', 'uniform, meanValue or cotangent', 'meanValue')
    .option('--boundary <shape>', 'square or circle', 'square')
    .option('--symmetric', 'exactly left-right symmetric embedding')
    .option('--size <px>', 'PNG side', '1024')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (file: string, opts) => {
      await tutteCommand(file, opts, io);
    });
}

/** `resample`: a model onto a res × res UV grid. */
function addResampleCommand(program: Command, io: CliIO): void {
  program
    .command('resample')
    .description(
      "Resample a model onto the STN's res×res UV grid (symmetric Tutte embedding) and save it as .3dmm",
    )
    .argument('[model]', 'model file (default: the embedded model)')
    .option('--res <n>', 'grid side', '112')
    .option('-o, --out <file>', 'output .3dmm')
    .option('--landmarks <file>', 'eos landmark mapping for the model')
    .option('--shape-modes <n>', 'identity modes kept (default min(5, available))')
    .option('--expression-modes <n>', 'expression modes kept (default min(5, available))')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (file: string | undefined, opts) => {
      await resampleCommand(file, opts, io);
    });
}

/** `convert`: a model file to another format. */
function addConvertCommand(program: Command, io: CliIO): void {
  program
    .command('convert')
    .description(
      'Convert a model between formats, by extension (in: .3dmm, .obj, eos .bin, BFM .h5, BFM 2009 .mat; out: .3dmm, .obj)',
    )
    .argument('<in>', 'input model')
    .argument('<out>', 'output .3dmm (whole model) or .obj (mean mesh)')
    .option('--landmarks <file>', 'eos landmark mapping to attach')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (input: string, output: string, opts) => {
      await convertCommand(input, output, opts, io);
    });
}

/** `inspect`: what a model file holds. */
function addInspectCommand(program: Command, io: CliIO): void {
  program
    .command('inspect')
    .description(
      'Vertices, triangles, modes, landmarks, symmetry, boundary loops and holes of a model',
    )
    .argument('<model>', 'model file')
    .option('--landmarks <file>', 'eos landmark mapping to attach')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (file: string, opts) => {
      await inspectCommand(file, opts, io);
    });
}

/** `render`: a model instance under θ to a PNG. */
function addRenderCommand(program: Command, io: CliIO): void {
  program
    .command('render')
    .description('Render a model instance with θ (orthographic, depth-tested) to a PNG')
    .argument('[model]', 'model file (default: the embedded model)')
    .option('--theta <file>', 'θ JSON in output-image pixels (default: frontal, centred)')
    .option('-o, --out <file>', 'output PNG')
    .option('--size <px>', "image side (default 224, or a fit record's photo size)")
    .option('--texture <file>', 'UV texture image (e.g. a fit uv.png; default: a shaded checker)')
    .option('--landmarks <file>', 'eos landmark mapping for the model')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (file: string | undefined, opts) => {
      await renderCommand(file, opts, io);
    });
}

/** `train`: handed to @3dmm-stn/trainer by `runCli` (listed here for --help). */
function addTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'Train the 3DMM-STN (runs @3dmm-stn/trainer when it is installed; `3dmm-stn train --help` lists its flags)',
    )
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]');
}

/**
 * Runs the command line `argv` (without node and the script name) and resolves to its exit
 * code (see the top of this file). Output goes to `io` (default: the process streams).
 * `train` is handed to `runTrainCli` of @3dmm-stn/trainer, found at run time (`./train`), which
 * writes to the process streams.
 */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const taken = takeDebugFlag(argv, process.env);
  const debug = taken.debug;
  argv = taken.argv;
  try {
    if (argv[0] === 'train') return await runTrain(argv.slice(1), debug);
    let code = EXIT_OK;
    const program = buildProgram(io, (c) => {
      code = c;
    });
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

function reportError(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message (and help where asked).
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  const report = describeError(e, { debug });
  io.stderr(report.text);
  return report.code;
}

/** The fit's model and landmark options, shared by `fit` and `eval` (one definition of each). */
function addFitOptions(cmd: Command): Command {
  return cmd
    .option(
      '--contour <on|off>',
      "contour-aware jaw points: match ibug 1–17 to the model's jawline candidates at every iteration (default off: measured no gain with face-api; on acts where the model has candidates)",
    )
    .option(
      '--landmarks-from <d>',
      'where the 68 landmarks come from: face-api (default), mesh (MediaPipe face mesh of @vladmandic/human) or auto (face-api; the mesh where face-api finds no face)',
    )
    .option(
      '--expression-sparsity <eta>',
      "η of the sparsity prior on blendshape weights (0: none; default: fit's EXPRESSION_L1)",
    )
    .option(
      '--shape-modes <n>',
      "identity modes the fit uses (default: the model's fitting default)",
    )
    .option(
      '--expressions <list>',
      "expression modes the fit uses: a count, comma-separated names (e.g. jawOpen,mouthSmile_L), or 'all' (default: the model's fitting default)",
    );
}
