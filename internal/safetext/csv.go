package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CSVField neutralises spreadsheet formula injection in a text cell, following OWASP's
// "CSV Injection" rule: a cell whose first character is =, +, -, @, tab or carriage
// return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it
// as text instead of evaluating it (=HYPERLINK(…), +cmd|' /C calc'!A0, @SUM(…)). The same
// applies when those characters follow leading whitespace (" =1+2" is a formula to some
// spreadsheets), and to the full-width forms ＝ ＋ － ＠ that some of them fold to ASCII.
//
// Apply it to text fields only: a numeric column that may hold negative numbers must not
// go through it, or -3 would become the text '-3. Quoting the delimiter and quotes is
// left to encoding/csv, which the caller uses to write the cell.
func CSVField(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' || s[0] == '\n' {
		return "'" + s
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, unicode.IsSpace))
	switch r {
	case '=', '+', '-', '@', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}
