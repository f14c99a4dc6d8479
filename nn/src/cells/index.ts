/**
 * The recurrent cells: `defineCell`, the one way to define a cell; the LSTM
 * family, GRU, MGU, MUT1-3 and the simple RNN defined with it; the registry
 * of cells by name; checks for cells from outside nn; and weight import from
 * PyTorch's layout.
 *
 * @module
 */
export { isGatedCell, type GatedCell, type StepReport } from './common.js';
export * from './define.js';
export * from './lstm.js';
export * from './gru.js';
export * from './mgu.js';
export * from './mut.js';
export * from './rnn.js';
export {
  cellCases,
  cellFamilies,
  cellFamily,
  cellHelp,
  makeCell,
  parseCellSpec,
  registerCell,
  unregisterCell,
  type CellCase,
  type CellExample,
  type CellFamilyDefinition,
  type CellFamilyInfo,
  type CellSpec,
  type FamilyMakeOptions,
  type MakeCellOptions,
} from './registry.js';
import './builtins.js';
export * from './check.js';
export * from './torch.js';
