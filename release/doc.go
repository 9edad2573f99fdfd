// Package release writes a protected release to disk: the release table, and the folder
// that holds it with its decision record and report, written atomically so that a
// failure never leaves a partial release behind.
package release
