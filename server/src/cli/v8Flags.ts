import { relaxedSimdFlags } from '../host/wasmFeatures';

/**
 * V8 tuned for what a check is: one pass over code V8 has not seen before, allocating
 * many short-lived objects (syntax nodes, interpreter values), then exit. Set before
 * anything runs; V8's flags are the process's, so worker threads started later run with
 * them too. The language server (long-lived, where optimised code pays) keeps V8's defaults.
 * Measured (issue 16; paired runs, CPU time and peak RSS of the whole process, 2 busy cores):
 * - `--interrupt-budget` four times V8's default (67,584): a function runs longer in the
 *   baseline tiers before TurboFan compiles it, since most run only for milliseconds and
 *   TurboFan spent more compiling them (on the other core) than its code then saved.
 *   torchvision's `models/` 1.6–1.9 → 1.1–1.3 s of CPU; the 3,500-line bench file 0.82 →
 *   0.69 s; 1,000 generated PyTorch files 3.6 → 3.2 s, 1,000 `.netdef` files 2.3 → 2.3 s;
 *   `--simulate montecarlo` on the examples +2–5 % (its hot loops are WebAssembly).
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial size instead of
 *   growing to 2 × 16 MiB, whose pages then stay resident: peak RSS on torchvision's
 *   `models/` 158 → 120 MiB, the 3,500-line file 128 → 99 MiB, 1,000 `.netdef` files
 *   186–216 → 133 MiB, 1,000 PyTorch files 206–210 → 168–173 MiB; CPU the same on the first
 *   three, +4–5 % on the 1,000 PyTorch files (more scavenges). (`--max-semi-space-size`
 *   would say it directly, but it only takes effect on the command line.)
 * - `--expose-gc`: cli/heapBetweenFiles.ts collects between files. Set here, before the
 *   launcher compiles the bundle, because V8 keys its code cache by the flags: set later,
 *   the cache a run writes at exit would be rejected by the next run. Contexts made before it
 *   (the main one) get no `gc` global.
 * - WebAssembly relaxed SIMD where the runtime needs a flag for it (Node 20): the Monte-Carlo
 *   kernels' fused multiply-adds (host/wasmFeatures.ts). Its worker would set it anyway; set
 *   here, before the launcher compiles, so that a `--simulate montecarlo` run does not change
 *   the flags the code cache is keyed by.
 */
export const CLI_V8_FLAGS = [`--interrupt-budget=${4 * 67_584}`, '--semi-space-growth-factor=1', '--expose-gc', ...relaxedSimdFlags()];
