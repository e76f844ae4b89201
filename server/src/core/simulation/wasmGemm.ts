/**
 * The WebAssembly SIMD matrix product (wasmKernels.ts's kernel, run by this thread's
 * kernelEngine.ts), or undefined where WebAssembly SIMD is unavailable (callers fall back to
 * matmul.ts's JavaScript kernel). About 4–5× the register-blocked JavaScript.
 */
import { kernelEngine } from './kernelEngine';
import type { Gemm } from './matmul';

export function wasmGemm(): Gemm | undefined {
  return kernelEngine()?.gemm;
}
