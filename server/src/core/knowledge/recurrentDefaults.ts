/**
 * Framework defaults of recurrent layers (init-math.md §b, read from each framework's source):
 *  - PyTorch nn.RNN/LSTM/GRU and their cells: reset_parameters draws EVERY weight and bias
 *    U(±1/√hidden) (torch/nn/modules/rnn.py), whatever the input size; weight_ih is
 *    (gates·hidden, input), weight_hh (gates·hidden, hidden); no forget-gate bias.
 *  - Keras LSTM/GRU/SimpleRNN: kernel glorot_uniform on (input, gates·units), recurrent kernel
 *    orthogonal on (units, gates·units), bias zeros, LSTM unit_forget_bias=True (forget gate 1).
 *  - Flax linen/nnx LSTMCell, GRUCell, SimpleCell: one Dense per gate, input kernels
 *    lecun_normal on (input, hidden) without bias, recurrent kernels orthogonal on (hidden,
 *    hidden) with a zero bias: no forget-gate bias (linen/recurrent.py).
 */
import type { Fans, Framework, GateBias, InitSemantics, RecurrentCellKind } from '../ir';
import { FORGET_GATE, gateCount } from './recurrent';

export interface RecurrentDefaults {
  readonly input: { readonly semantics: InitSemantics; readonly label: string };
  readonly recurrent: { readonly semantics: InitSemantics; readonly label: string };
  /** The framework's kernel layouts give these fans to its init code. */
  readonly inputFans: Fans;
  readonly recurrentFans: Fans;
  readonly gateBiases: readonly GateBias[];
}

/** The PyTorch default every recurrent weight and bias gets: U(±1/√hidden). */
export function pytorchRecurrentUniform(hidden: number): InitSemantics {
  const bound = 1 / Math.sqrt(hidden);
  return { kind: 'uniform', low: -bound, high: bound };
}

export function recurrentDefaults(framework: Framework, cell: RecurrentCellKind, inputSize: number, hidden: number): RecurrentDefaults {
  const gates = gateCount(cell);
  switch (framework) {
    case 'pytorch': {
      const uniform = pytorchRecurrentUniform(hidden);
      const label = 'PyTorch default U(±1/√hidden)';
      const variance = 1 / (3 * hidden);
      return {
        input: { semantics: uniform, label }, recurrent: { semantics: uniform, label },
        inputFans: { fanIn: inputSize, fanOut: gates * hidden }, recurrentFans: { fanIn: hidden, fanOut: gates * hidden },
        gateBiases: Array.from({ length: gates }, () => ({ mean: 0, varianceIh: variance, varianceHh: variance })),
      };
    }
    case 'keras':
      return {
        input: { semantics: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' }, label: 'Keras default glorot_uniform' },
        recurrent: { semantics: { kind: 'orthogonal', gain: 1 }, label: 'Keras default orthogonal' },
        // Keras kernels are (input, gates·units) and (units, gates·units): fan_in is the first axis.
        inputFans: { fanIn: inputSize, fanOut: gates * hidden }, recurrentFans: { fanIn: hidden, fanOut: gates * hidden },
        gateBiases: Array.from({ length: gates }, (_, gate) => ({
          mean: cell === 'lstm' && gate === FORGET_GATE ? 1 : 0, varianceIh: 0, varianceHh: 0,
        })),
      };
    case 'flax':
      return {
        input: { semantics: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal' }, label: 'Flax default lecun_normal' },
        recurrent: { semantics: { kind: 'orthogonal', gain: 1 }, label: 'Flax default orthogonal' },
        inputFans: { fanIn: inputSize, fanOut: hidden }, recurrentFans: { fanIn: hidden, fanOut: hidden },
        gateBiases: Array.from({ length: gates }, () => ({ mean: 0, varianceIh: 0, varianceHh: 0 })),
      };
  }
}
