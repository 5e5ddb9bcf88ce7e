/** Prometheus-compatible relabeling: config schema, compiled rules, target and sample relabeling, hashmod. */
export {
  relabelConfigSchema,
  relabelConfigsSchema,
  relabelActions,
  type RelabelConfig,
  type RelabelAction,
} from './config.ts';
export { compileRelabelRules, applyRelabel, RelabelConfigError, type CompiledRelabelRule } from './relabel.ts';
export {
  relabelTarget,
  type TargetDefaults,
  type TargetRelabelResult,
  type RelabeledTarget,
  type DroppedTarget,
} from './target.ts';
export { relabelSample, type SampleRelabelResult } from './sample.ts';
export { sampleRelabeler } from './engine-hooks.ts';
export { hashMod } from './hashmod.ts';
export { Re2SyntaxError } from './re2.ts';
