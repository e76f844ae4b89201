/**
 * `.netdef` encoder–decoder networks (issue 15, docs/netdef.md "memory"): a `memory { … }` block
 * (the encoder over the second input) and `attention … cross=true` lower to the IR's MemoryOp
 * and cross-attentions, the same network as test/support/decoderNetworks.ts builds from the
 * config `transformer_pre_d128` (PyTorch's nn.Transformer there; here Glorot everywhere, so
 * the network is compared op by op and its simulation runs both streams); misuse is IW001 with
 * a message that says what to write.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { walkOps } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { parseNetdef } from '../../server/src/core/frontends/netdef/parse';
import { network } from './netdefSupport';

const TRANSLATOR = `network translator framework=pytorch {
  input 128 tokens=48
  memory tokens=64 {
    repeat 2 {
      residual {
        layernorm
        attention 4 init=glorot_uniform
      }
      residual {
        layernorm
        dense 512 activation=relu init=glorot_uniform
        dense 128 init=glorot_uniform
      }
    }
    layernorm
  }
  repeat 2 {
    residual {
      layernorm
      attention 4 causal=true init=glorot_uniform
    }
    residual {
      layernorm
      attention 4 cross=true init=glorot_uniform
    }
    residual {
      layernorm
      dense 512 activation=relu init=glorot_uniform
      dense 128 init=glorot_uniform
    }
  }
  layernorm
}
`;

describe('netdef: memory and cross-attention', () => {
  it('lowers the memory block first and marks the cross-attentions', () => {
    const net = network(TRANSLATOR);
    const memory = net.ops[0];
    assert.ok(memory?.op === 'memory');
    assert.equal(memory.tokens, 64);
    assert.equal(net.tokens, 48);
    const attentions = [...walkOps(net.ops)].filter((op) => op.op === 'attention');
    assert.deepEqual(attentions.map((op) => op.op === 'attention' && [op.causal, op.crossAttention === true]), [
      [false, false], [false, false], [true, false], [false, true], [true, false], [false, true],
    ]);
    // 2 encoder blocks (4 + 2 layers) and 2 decoder blocks (4 + 4 + 2), in forward order.
    assert.equal(net.layers.length, 2 * 6 + 2 * 10);
    assert.ok(net.layers.every((layer, i) => layer.index === i));
  });

  it('simulates both streams: the encoder\'s branches, the memory and its gradient', () => {
    const sim = simulateTokenStream(network(TRANSLATOR), NEVER_CANCELLED);
    assert.ok(sim?.memory);
    assert.equal(sim.stream.filter((p) => p.depth === 0 && p.memory).length, 4);
    assert.equal(sim.stream.filter((p) => p.depth === 0 && !p.memory).length, 6);
    assert.equal(sim.memory.tokens, 64);
    // The final layernorm: q/(q + ε) of the encoder's last sum, PyTorch's ε = 1e-5 (.netdef has no ε: the framework's).
    const last = sim.stream.filter((p) => p.memory).at(-1)!.secondMoment;
    assert.ok(Math.abs(sim.memory.secondMoment - last / (last + 1e-5)) < 1e-12, 'the final layernorm');
    assert.ok(sim.memory.gradient > 0 && sim.memory.inputGradient > 0);
    const cross = sim.attention.find((a) => a.op.crossAttention);
    assert.ok(cross && Math.abs(cross.memoryCorrelation! - sim.memory.correlation) < 1e-12);
  });

  it('a memory that is an input: an empty block', () => {
    const sim = simulateTokenStream(network(`network block framework=pytorch {
  input 64 tokens=16
  memory tokens=32 {
  }
  residual {
    layernorm
    attention 4 cross=true
  }
}
`), NEVER_CANCELLED);
    assert.ok(sim?.memory);
    assert.equal(sim.memory.secondMoment, 1);
    assert.equal(sim.memory.correlation, 0);
  });

  it('reports misuse where it is written', () => {
    const text = `network bad framework=pytorch {
  input 64 tokens=16
  attention 4 cross=true
  residual {
    memory {
      dense 64
    }
  }
  memory {
    dense 32
  }
  memory {
  }
  attention 4 cross=true
  attention 4 cross=true causal=true
}
`;
    const found = parseNetdef(text).findings.map((f) => [text.slice(f.span.start, f.span.end), `${f.code} ${f.message}`]);
    assert.deepEqual(found, [
      ['cross=true', "IW001 cross=true reads keys and values from the network's memory: put a 'memory { … }' block before this attention"],
      ['memory', "IW001 'memory' goes at the network's top level, not inside a 'repeat' or 'residual' block"],
      ['memory', "IW001 a network has one 'memory' block"],
      ['cross=true', 'IW001 the memory has 32 features and the stream 64: a cross-attention here needs both as wide'],
      ['cross=true', "IW001 a cross-attention is not causal: its keys are the memory's tokens, not earlier ones of the stream"],
    ]);
  });
});
