package main

// The names of a step's state directory, <root>/steps/<step>, and of its records
// (docs/contract.md, the table under "Reserved root"), as src/wire/layout.ts
// (stateDir, RECORD) names them. Go cannot import them from there:
// test/wire-go-records.test.ts fails when these differ from src/wire's, or
// when another file of this program spells a record name out.
const (
	dirSteps      = "steps"        // <root>/steps holds one state directory per step
	recordDone    = "done"         // succeeded (or failed under -on_error=continue)
	recordErr     = "done.err"     // any other end
	recordLock    = "done.lock"    // exclusive flock for the wrapper's whole life
	recordStarted = "done.started" // the wrapper has started
	recordReport  = "report"       // the termination message
)
