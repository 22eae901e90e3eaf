import type { HeadPose, PosePara } from '@3dmm-stn/morphable-model';
import type { DetectorName } from './photo';

/**
 * Head pose of a fitted face, from θ[0..2] (@3dmm-stn/morphable-model's rotation module is the
 * one home of both conventions):
 * - `yaw`, `pitch`, `roll`: degrees, R = Rz(roll)·Ry(yaw)·Rx(pitch) in model space (mm,
 *   right-handed, y up, z towards the camera); yaw > 0 turns the nose to image right (the
 *   subject's left), pitch > 0 looks down, roll > 0 turns the face counter-clockwise on screen.
 * - `rotation`: R(θ[0..2]) row by row, X' = R·X before the projection p = s·[x', −y'] + t.
 * - `posePara`: the same R as AFLW2000-3D's `Pose_Para` angles (radians, 3DDFA / face3d's
 *   R = (Rz(roll)·Ry(yaw)·Rx(pitch))ᵀ), to compare with those labels directly.
 */
export interface FitPose extends HeadPose {
  posePara: PosePara;
}

/** The JSON record written for every fitted face (`<stem>.face<k>.json`, `fit --json`). */
export interface FitRecord {
  image: string;
  imageSize: [number, number];
  face: number;
  detection: {
    /**
     * 'none': the detector found no face and the image's centre square was the crop; 'labels':
     * the crop came from ground-truth landmarks (`eval --crop labels`).
     */
    detector: DetectorName;
    score: number;
    /** [x, y, width, height], photo pixels. */
    box: [number, number, number, number];
    padded: boolean;
    /**
     * Set when the plain and padded detections found nothing and a retry found this face:
     * `upscaled 2×`, `rotated 25°` / `rotated -25°`, or `threshold 0.3` (a weaker detection).
     */
    retry?: string;
  };
  /** The square crop the fit worked on (photo pixels) and its side in pixels. */
  crop: { x0: number; y0: number; side: number; size: number };
  model: { name: string; res: number; modes: { shape: number; expression: number } };
  method: 'optimisation' | 'localiser';
  /** Optimisation only: steps, initial pose method and RMS, loss before/after. */
  optimisation?: {
    steps: number;
    /** Where θ started: how the last closed-form pose was found, or a localiser's θ (`--refine`). */
    init: 'affine' | 'similarity' | 'localiser';
    initRmsPx: number;
    /** Whether the jaw points were matched to the model's contour candidates (`--contour`). */
    contour: boolean;
    loss: { initial: number; final: number };
  };
  /** θ = [r0 r1 r2, tx ty, log s, α…] in pixels of the input photo. */
  theta: number[];
  /** Head pose from θ[0..2] (see `FitPose`). */
  pose: FitPose;
  /** How α splits (identity modes first, then expression). */
  modes: { shape: number; expression: number };
  /**
   * The expression coefficients by name, when the model names them: ARKit blendshape weights in
   * [0, 1] for the default (ICT) model, e.g. `{"jawOpen": 0.42, "mouthSmile_L": 0.1, …}`.
   */
  expressions?: Record<string, number>;
  /** θ in pixels of the crop. */
  thetaCrop: number[];
  landmarks: {
    /** [68] ibug order, [x, y] photo pixels (0-based). */
    detected: [number, number][];
    /** [68] the fitted model's landmarks, null where the model has no vertex for the point. */
    fitted: ([number, number] | null)[];
  };
  error: {
    /** RMS distance detected ↔ fitted over the points the model has, photo pixels. */
    rmsPx: number;
    /** rmsPx / distance of the detected outer eye corners (ibug 37, 46). */
    rmsNormalised: number;
    eyeCornerDistancePx: number;
    points: number;
  };
  /** Visible fraction of the valid UV grid. */
  visibleFraction: number;
  /**
   * Seconds. The faces of a photo are fitted in one batch: `fitImage` is that batch (crops, θ,
   * STN forwards; wall clock), `fit` its share per face; `…Cpu` the process CPU time of the same
   * (what the wall time would be on an idle core); `outputs` writing this face's files.
   */
  seconds: {
    fit: number;
    fitCpu: number;
    fitImage: number;
    fitImageCpu: number;
    outputs: number;
    /**
     * Where the time of this face's photo went (wall clock, the whole photo): decoding, face
     * detection, cropping, the closed-form initial θ, the Adam steps, the STN forward (texture,
     * mask) of its faces, and writing all its faces' files.
     */
    stages?: {
      decode: number;
      detect: number;
      crop: number;
      init: number;
      optimise: number;
      texture: number;
      outputs: number;
    };
  };
  /** `overview`: the whole photo with all its fitted faces (shared by the faces of a photo). */
  files: {
    uv: string;
    mask: string;
    maskedUv: string;
    preview: string;
    overview: string;
    obj: string;
    mtl: string;
    json: string;
  };
}
