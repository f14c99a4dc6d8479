// JANET, "just another network" (van der Westhuizen & Lasenby 2018): an LSTM
// that keeps only its forget gate. The cell of the guide "Writing a new cell"
// (docs/guides/examples/janet.ts), in JavaScript: edit it, then check its
// gradients or train it.
//
//   s  = x W_f + c U_f + b_f
//   c' = sigmoid(s) * c + (1 - sigmoid(s - beta)) * tanh(x W_g + c U_g + b_g)
//   h' = c'
import { add, matmul, mul, sigmoid, split, sub, tanh } from '@mnemo/autodiff';
import { defineCell, init } from '@mnemo/nn';

export const janetCell = defineCell('janet', (o) => {
  const { inputSize: D, hiddenSize: H } = o;
  const beta = o.beta ?? 1;
  return {
    gates: ['f', 'g'],
    params: {
      wx: { shape: [D, 2 * H], init: init.rnnUniform(H) }, // [W_f W_g]
      wh: { shape: [H, 2 * H], init: init.rnnUniform(H) }, // [U_f U_g]
      b: { shape: [2 * H], init: init.zeros }, //             [b_f b_g]
    },
    state: { c: H },
    // x W + b of both blocks: for a whole sequence, one matrix product.
    inputPartSize: 2 * H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, { c }, xwb, gate) {
      const [zf, zg] = split(add(xwb, matmul(c, p.wh)), 2, -1);
      const s = gate.probe('f', zf); //                                   the forget gate's pre-activation
      gate.report('f', () => sigmoid(s));
      const g = gate('g', tanh, zg); //                                  the candidate
      const next = add(mul(sigmoid(s), c), mul(sub(1, sigmoid(sub(s, beta))), g)); // keep, or write
      return [{ c: next }, next];
    },
    extra: { beta },
  };
});

export default janetCell;
