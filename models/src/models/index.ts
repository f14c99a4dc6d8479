/**
 * The models mnemo trains: {@link sequenceModel} and the tutorial's {@link rowLstm}.
 *
 * @module
 */
export { rowLstm, sequenceModel, type SequenceModel, type SequenceModelConfig, type SequenceModelParams } from './sequence-model.js';
