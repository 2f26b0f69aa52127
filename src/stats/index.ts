/** Pure experiment statistics: no database, no HTTP. */
export { compare, DEFAULT_ALPHA, DEFAULT_SEQUENTIAL_TUNING } from './compare.ts';
export { SRM_WARNING_P, srmPValue } from './srm.ts';
export type { CompareInput, CompareResult, Difference, Engine, MetricType, SideStats } from './types.ts';
export { compareCuped, cupedTheta, type CupedInput, type CupedResult, type CupedSide } from './cuped.ts';
