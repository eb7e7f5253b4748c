package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// runCp implements `entrypoint cp SRC DST`: copy SRC to DST through a
// temporary file in DST's directory and a rename (atomic), mode 0555 so any
// user can execute the copy. Needs no privilege beyond writing DST's
// directory.
func runCp(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "entrypoint: cp: usage: entrypoint cp SRC DST")
		return exitWrapper
	}
	if err := copyFile(args[0], args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "entrypoint: cp: %v\n", err)
		return exitWrapper
	}
	return exitOK
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		dst = filepath.Join(dst, filepath.Base(src))
	}
	return replaceAtomically(dst, 0o555, func(out *os.File) error {
		_, err := io.Copy(out, in)
		return err
	})
}
