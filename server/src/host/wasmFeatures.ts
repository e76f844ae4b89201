/**
 * WebAssembly relaxed SIMD for the Monte-Carlo kernels (core/simulation/wasmKernels.ts: fused
 * multiply-adds, ~1.3× the products' speed; issue 15). V8 ships it from 11.4 (Node 22); Node 20's
 * V8 11.3 has it behind --experimental-wasm-relaxed-simd. The flag only lets modules use the
 * proposal's instructions; the engine compiles its fused module where the runtime accepts it and
 * its unfused one otherwise, so without the flag it is slower, not different.
 */
import * as v8 from 'node:v8';

const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))) */
const PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // its body
]);

export function relaxedSimdAvailable(): boolean {
  try {
    const api = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    return api?.validate(PROBE) ?? false;
  } catch {
    return false;
  }
}

/** The V8 flags a process sets at its start for relaxed SIMD: none where the runtime has it already. */
export function relaxedSimdFlags(): string[] {
  return relaxedSimdAvailable() ? [] : [RELAXED_SIMD_FLAG];
}

/** Turns relaxed SIMD on in this process, before the kernels are compiled (V8's flags are the process's). */
export function enableRelaxedSimd(): void {
  for (const flag of relaxedSimdFlags()) v8.setFlagsFromString(flag);
}
