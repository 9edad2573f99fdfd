// Package safetext escapes text that comes from the data (labels, column names, file names)
// for each place it is written to: a CSV cell a spreadsheet will open (CSVField), a
// markdown document (Markdown) and a terminal (Terminal). Each function leaves ordinary
// text unchanged and turns anything the sink would interpret (a formula, markup, an
// escape sequence) into inert, visible text.
package safetext
