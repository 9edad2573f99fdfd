// Package release writes a protected release to disk: the release table (release.csv),
// the trade-off chart, and the folders that hold them, written atomically so that a
// failure or a kill never leaves a partial release behind, and marked so that --force
// only ever replaces a folder privtune wrote.
package release
