// Package sim is privtune's engine: the aggregated Table of a population, and what a
// protected release of it does to every number a researcher computes (bias, variance,
// intervals) and to re-identification risk.
//
// sim is pure computation. It imports no UI and no loader: callers build a Table with
// NewTable and pass parameters as values. Randomness is always passed in as a source or
// a seed.
package sim
