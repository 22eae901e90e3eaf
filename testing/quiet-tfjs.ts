// Vitest setup (every package): no tfjs console advice in test logs — the cpu backend's "Hi,
// looks like you are running TensorFlow.js in Node.js" banner and flag notices. PROD is tfjs's own
// switch for that (tensorflow/tfjs#5349) and gates only tfjs's log/warn; IS_TEST would also turn
// on per-kernel leak checks, which is not what this is for.
import { env } from '@tensorflow/tfjs-core';

env().set('PROD', true);
