// Package cli is privtune's command line: the cobra root command (the explorer) and one
// file per subcommand (inspect.go, eval.go, sweep.go, release_cmd.go), with the flags they
// share handled in one place (dataflags.go for the data, knobflags.go for the setting).
package cli
