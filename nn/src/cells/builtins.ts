/**
 * nn's own cell families, registered by name: one `registerBuiltinCell` call
 * each (internal; imported for its effect by the cells' index).
 *
 * @module
 */
import type { FamilyMakeOptions, MakeCellOptions } from './registry.js';
import { registerBuiltinCell } from './registry.js';
import { GRU_VARIANTS, gruCell, type GruVariant } from './gru.js';
import { LSTM_VARIANTS, lstmCell, lstmStructure, type LstmVariant } from './lstm.js';
import { mguCell } from './mgu.js';
import { mutCell, type MutKind } from './mut.js';
import { RNN_VARIANTS, rnnCell, type RnnActivation } from './rnn.js';

/** The options without `variants`, which the cells' own options do not have. */
function sizes(o: FamilyMakeOptions): MakeCellOptions {
  const { variants: _, ...rest } = o;
  return rest as MakeCellOptions;
}

registerBuiltinCell({
  family: 'lstm',
  variants: LSTM_VARIANTS,
  options: ['projSize', 'layerNorm', 'forgetBias'],
  checkVariants: (vs) => void lstmStructure(vs),
  make: (o) => lstmCell({ ...sizes(o), variant: o.variants as readonly LstmVariant[] }),
  help: [
    'lstm              the tutorial LSTM (Hochreiter & Schmidhuber 1997 with the forget gate of Gers et al. 2000),',
    '                  NO peepholes; gates i, f, g, o; forget-gate bias initialised to 1',
    'lstm+peephole     Greff et al. (2015)\'s "vanilla" LSTM: the same plus peepholes (i, f see c(t-1), o sees c(t))',
    "Greff's ablations, each taken from his vanilla, so they KEEP the peepholes (add +np to drop them):",
    'lstm+nig          no input gate (i = 1)',
    'lstm+nfg          no forget gate (f = 1)',
    'lstm+nog          no output gate (o = 1)',
    'lstm+niaf         no input activation function (g without tanh)',
    'lstm+noaf         no output activation function (h = o * c)',
    'lstm+np           no peepholes: the same architecture as plain lstm',
    'lstm+cifg         coupled input and forget gate (f = 1 - i)',
    'lstm+fgr          full gate recurrence (i, f, o also see all gates of the previous step)',
    '                  combinations are allowed where they make sense, e.g. lstm+cifg+np, lstm+nog+noaf;',
    '                  cifg with nig or nfg, and peephole with np, are rejected',
  ].join('\n'),
  examples: [
    { variants: ['cifg', 'np'] },
    { variants: ['nog', 'noaf'] },
    { options: { projSize: 2 }, label: 'projection' },
    { options: { layerNorm: true }, label: 'layer norm' },
  ],
});

registerBuiltinCell({
  family: 'gru',
  variants: GRU_VARIANTS,
  make: (o) => gruCell({ ...sizes(o), ...(o.variants[0] === undefined ? {} : { variant: o.variants[0] as GruVariant }) }),
  help: [
    'gru               GRU as in Cho et al. 2014: the reset gate acts before the recurrent matmul',
    'gru+reset-after   GRU as in cuDNN, PyTorch and Keras: r * (h U_n + b_hn)',
  ].join('\n'),
});

registerBuiltinCell({
  family: 'mgu',
  make: (o) => mguCell(sizes(o)),
  help: 'mgu               minimal gated unit (Zhou et al. 2016)',
});

const MUT_HELP: Readonly<Record<MutKind, string>> = {
  mut1: 'mut1              MUT1 of Jozefowicz et al. (2015); learns an input projection when inputSize != hiddenSize',
  mut2: 'mut2              MUT2 of Jozefowicz et al. (2015); learns an input projection when inputSize != hiddenSize',
  mut3: 'mut3              MUT3 of Jozefowicz et al. (2015)',
};
for (const kind of ['mut1', 'mut2', 'mut3'] as const) {
  registerBuiltinCell({
    family: kind,
    options: ['inputProjection'],
    make: (o) => mutCell({ ...sizes(o), kind }),
    help: MUT_HELP[kind],
  });
}

registerBuiltinCell({
  family: 'rnn',
  variants: RNN_VARIANTS,
  make: (o) => rnnCell({ ...sizes(o), ...(o.variants[0] === undefined ? {} : { activation: o.variants[0] as RnnActivation }) }),
  help: 'rnn, rnn+relu     simple RNN with tanh (default) or relu',
});
